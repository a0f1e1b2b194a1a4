#!/usr/bin/env bash
# Build modelpeek's release artefacts into dist/:
#   linux/amd64 and linux/arm64 binaries, .deb and .rpm for both (nFPM),
#   a windows/amd64 GUI .exe with icon, manifest and version resources
#   (go-winres), and a macOS .app bundle when a darwin binary can be built
#   (cgo: only on a Mac) or is given as DARWIN_BIN.
# Usage: packaging/build.sh [VERSION]   (default: from git describe)
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=${1:-$(git describe --tags --always --dirty 2>/dev/null | sed 's/^v//' || echo 0.0.0)}
# Debian/RPM versions must start with a digit.
case "$VERSION" in [0-9]*) ;; *) VERSION="0.0.0+$VERSION" ;; esac
export VERSION
DIST=${DIST:-dist}
mkdir -p "$DIST"
GOBIN_DIR=${GOBIN_DIR:-$(go env GOPATH)/bin}
export PATH="$GOBIN_DIR:$PATH"
LDFLAGS="-s -w -X github.com/modelpeek/modelpeek/internal/version.Version=$VERSION"

tool() { # tool NAME MODULE@VERSION: install a Go tool if missing
	command -v "$1" >/dev/null || GOBIN="$GOBIN_DIR" go install "$2"
}

for arch in amd64 arm64; do
	echo "build linux/$arch"
	CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -trimpath -ldflags "$LDFLAGS" -o "$DIST/modelpeek-linux-$arch" .
done

# v2.46+ depends on modules the proxy here refuses (go.digitalxero.dev).
tool nfpm github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.0
cfg=$(mktemp)
trap 'rm -f "$cfg"' EXIT
for arch in amd64 arm64; do
	# nFPM does not expand variables in every field, so fill them here.
	sed -e "s#\${ARCH}#$arch#g" -e "s#\${VERSION}#$VERSION#g" \
		-e "s#\${BIN}#$DIST/modelpeek-linux-$arch#g" packaging/nfpm.yaml >"$cfg"
	for pkg in deb rpm; do
		echo "package $pkg/$arch"
		nfpm package --config "$cfg" --packager $pkg --target "$DIST/"
	done
done

echo "build windows/amd64"
tool go-winres github.com/tc-hib/go-winres@v0.3.3
winver=$(echo "$VERSION" | sed -E 's/^([0-9]+(\.[0-9]+){0,3}).*/\1/')
syso=rsrc_windows_amd64.syso
trap 'rm -f "$syso" "$cfg"' EXIT
go-winres make --in packaging/windows/winres.json --arch amd64 --out rsrc \
	--file-version "$winver" --product-version "$winver"
CGO_ENABLED=0 GOOS=windows GOARCH=amd64 go build -trimpath -ldflags "$LDFLAGS -H=windowsgui" -o "$DIST/modelpeek-windows-amd64.exe" .
rm -f "$syso"

DARWIN_BIN=${DARWIN_BIN:-}
if [ -z "$DARWIN_BIN" ] && [ "$(go env GOHOSTOS)" = darwin ]; then
	DARWIN_BIN="$DIST/modelpeek-darwin-$(go env GOHOSTARCH)"
	CGO_ENABLED=1 go build -trimpath -ldflags "$LDFLAGS" -o "$DARWIN_BIN" .
fi
if [ -n "$DARWIN_BIN" ]; then
	packaging/macos/make-app.sh "$DARWIN_BIN" "$DIST/modelpeek.app" "$VERSION"
else
	echo "skip macOS .app: the darwin build needs cgo on a Mac (or set DARWIN_BIN)"
fi
ls -l "$DIST"
