// Package packaging holds what the release packages install — the desktop
// entry, the MIME types and the icons — embedded, so `modelpeek integrate`
// can install the same files for one user without a package manager.
package packaging

import "embed"

// Files holds linux/<id>.desktop, linux/<id>-mime.xml and icons/*.png.
//
//go:embed linux/io.github.modelpeek.modelpeek.desktop linux/io.github.modelpeek.modelpeek-mime.xml icons/*.png
var Files embed.FS

// AppID is the reverse-DNS application id used for file names.
const AppID = "io.github.modelpeek.modelpeek"

// Extensions are the model file extensions modelpeek registers for.
var Extensions = []string{".onnx", ".ort", ".tflite", ".lite", ".gguf", ".safetensors", ".pt", ".pth", ".ptl", ".keras", ".h5", ".npy", ".npz"}
