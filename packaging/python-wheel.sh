#!/usr/bin/env bash
# Builds the Python package of modelpeek: a platform wheel that carries the
# modelpeek binary (for this machine, or for GOOS/GOARCH), and an sdist
# that runs the modelpeek found on PATH. Uses Debian's python3-build,
# python3-setuptools and python3-wheel; no network, no build isolation.
#
#   packaging/python-wheel.sh OUTDIR [GOOS/GOARCH]
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:?usage: $0 OUTDIR [GOOS/GOARCH]}")
target=${2:-$(go env GOOS)/$(go env GOARCH)}
goos=${target%/*}
goarch=${target#*/}
py=${PYTHON:-/usr/bin/python3}

case "$goos/$goarch" in
  linux/amd64) plat=manylinux2014_x86_64 ;;
  linux/arm64) plat=manylinux2014_aarch64 ;;
  darwin/amd64) plat=macosx_11_0_x86_64 ;;
  darwin/arm64) plat=macosx_11_0_arm64 ;;
  windows/amd64) plat=win_amd64 ;;
  windows/arm64) plat=win_arm64 ;;
  *) echo "no wheel platform tag for $goos/$goarch" >&2; exit 2 ;;
esac
exe=modelpeek
[ "$goos" = windows ] && exe=modelpeek.exe

# A copy of python/ to build in, so the source tree never holds a binary.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r python/. "$work/"
rm -rf "$work/tests" "$work/build" "$work"/*.egg-info
mkdir -p "$out"

# The sdist: pure Python, uses the modelpeek on PATH.
"$py" -m build --sdist --no-isolation --outdir "$out" "$work" >/dev/null

# The platform wheel: the binary in modelpeek/bin/, tagged for the platform.
mkdir -p "$work/modelpeek/bin"
CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch go build -trimpath -ldflags "-s -w" -o "$work/modelpeek/bin/$exe" .
(cd "$work" && "$py" setup.py -q bdist_wheel --python-tag py3 --plat-name "$plat" -d "$out" >/dev/null 2>&1)
ls "$out"
