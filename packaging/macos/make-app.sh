#!/usr/bin/env bash
# make-app.sh BIN OUT.app VERSION: lay out a macOS application bundle around
# a darwin binary: Info.plist (LSUIElement: tray only; document types and
# imported UTIs for the model formats), the icon, and the executable.
set -euo pipefail
bin=$1 out=$2 version=$3
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$out"
mkdir -p "$out/Contents/MacOS" "$out/Contents/Resources"
cp "$bin" "$out/Contents/MacOS/modelpeek"
chmod 755 "$out/Contents/MacOS/modelpeek"
cp "$here/../icons/modelpeek.icns" "$out/Contents/Resources/modelpeek.icns"

uti() { # uti ID DESCRIPTION EXT...
	local id=$1 desc=$2; shift 2
	printf '\t\t<dict>\n\t\t\t<key>UTTypeIdentifier</key>\n\t\t\t<string>%s</string>\n' "$id"
	printf '\t\t\t<key>UTTypeDescription</key>\n\t\t\t<string>%s</string>\n' "$desc"
	printf '\t\t\t<key>UTTypeConformsTo</key>\n\t\t\t<array>\n\t\t\t\t<string>public.data</string>\n\t\t\t</array>\n'
	printf '\t\t\t<key>UTTypeTagSpecification</key>\n\t\t\t<dict>\n\t\t\t\t<key>public.filename-extension</key>\n\t\t\t\t<array>\n'
	for e in "$@"; do printf '\t\t\t\t\t<string>%s</string>\n' "$e"; done
	printf '\t\t\t\t</array>\n\t\t\t</dict>\n\t\t</dict>\n'
}
utis=$(
	uti io.github.modelpeek.onnx "ONNX model" onnx ort
	uti io.github.modelpeek.tflite "TensorFlow Lite model" tflite lite
	uti io.github.modelpeek.gguf "GGUF model" gguf
	uti io.github.modelpeek.safetensors "safetensors weights" safetensors
	uti io.github.modelpeek.pytorch "PyTorch model" pt pth ptl
	uti io.github.modelpeek.keras "Keras model" keras h5
	uti io.github.modelpeek.npy "NumPy array" npy npz
)
UTIS="$utis" VERSION="$version" python3 - "$here/Info.plist.in" "$out/Contents/Info.plist" <<'PY' 2>/dev/null || \
	{ echo "make-app.sh needs python3 to fill Info.plist" >&2; exit 1; }
import os, sys
src = open(sys.argv[1]).read()
open(sys.argv[2], "w").write(src.replace("@VERSION@", os.environ["VERSION"]).replace("@UTIS@", os.environ["UTIS"]))
PY
printf 'APPL????' > "$out/Contents/PkgInfo"
echo "wrote $out"
