#!/usr/bin/env bash
# Build the one-folder desktop bundle (dist/simscope/) and its archive, self-test it, and
# print (and check) its sizes.
#   ./scripts/build.sh          CPU build (torch==2.13.0+cpu): the default; fails if the folder
#                               is over 1.2 GB or its .tar.gz over 450 MB
#   ./scripts/build.sh --cuda   CUDA build (torch 2.14.1 + nvidia/ libraries: 4.5 GB, 2.8 GB as
#                               .tar.gz, measured 7 Dec 2026): for NVIDIA GPUs; sized, not capped
# The build runs in a venv of that flavour: SIMSCOPE_BUILD_VENV, else SIMSCOPE_VENV (.venv)
# when its torch is already of that flavour, else .venv-bundle-<flavour> (made by
# scripts/setup.sh, so the dev venv's torch is never swapped).
#   SIMSCOPE_DIST / SIMSCOPE_BUILD_WORK  output / PyInstaller work folders (dist, build)
#   SIMSCOPE_BUNDLE_MAX_MB / SIMSCOPE_ARCHIVE_MAX_MB  the CPU build's caps (1200 / 450)
set -euo pipefail
cd "$(dirname "$0")/.."
FLAVOUR=cpu
for arg in "$@"; do
  case "$arg" in
    --cuda) FLAVOUR=cuda ;;
    --cpu) FLAVOUR=cpu ;;
    *) echo "usage: $0 [--cpu | --cuda]" >&2; exit 2 ;;
  esac
done
flavour_of() {  # cpu | cuda | none: the torch installed in venv $1 (metadata only, no import)
  [ -x "$1/bin/python" ] || { echo none; return; }
  "$1/bin/python" -c 'import importlib.metadata as m
try: v = m.version("torch")
except m.PackageNotFoundError: v = ""
print("none" if not v else "cpu" if v.endswith("+cpu") else "cuda")' 2>/dev/null || echo none
}
if [ -n "${SIMSCOPE_BUILD_VENV:-}" ]; then
  VENV="$SIMSCOPE_BUILD_VENV"
elif [ "$(flavour_of "${SIMSCOPE_VENV:-.venv}")" = "$FLAVOUR" ]; then
  VENV="${SIMSCOPE_VENV:-.venv}"
else
  VENV=".venv-bundle-$FLAVOUR"
fi
EXTRAS=build
[ "$VENV" = "${SIMSCOPE_VENV:-.venv}" ] && EXTRAS="${SIMSCOPE_EXTRAS:-dev}"  # the dev venv keeps its extras
echo "==> $FLAVOUR bundle, built in $VENV"
SIMSCOPE_VENV="$VENV" SIMSCOPE_TORCH="$FLAVOUR" SIMSCOPE_EXTRAS="$EXTRAS" ./scripts/setup.sh
DIST="${SIMSCOPE_DIST:-dist}"
WORK="${SIMSCOPE_BUILD_WORK:-build}"
start=$(date +%s)
"$VENV/bin/pyinstaller" --noconfirm --log-level WARN --distpath "$DIST" --workpath "$WORK" build.spec
echo "==> built in $(( $(date +%s) - start )) s"
"$DIST/simscope/simscope" --self-test

VERSION="$("$VENV/bin/python" -c 'from core import __version__; print(__version__)')"
ARCHIVE="$DIST/simscope-$VERSION-$(uname -s | tr '[:upper:]' '[:lower:]')-$(uname -m)-$FLAVOUR.tar.gz"
tar -C "$DIST" -cf - simscope | gzip -9 > "$ARCHIVE.tmp" && mv "$ARCHIVE.tmp" "$ARCHIVE"
FOLDER_MB=$(( $(du -sb "$DIST/simscope" | cut -f1) / 1000000 ))
ARCHIVE_MB=$(( $(stat -c %s "$ARCHIVE") / 1000000 ))
echo "bundle: $DIST/simscope $FOLDER_MB MB unpacked; $ARCHIVE $ARCHIVE_MB MB"
if [ "$FLAVOUR" = cpu ]; then
  MAX=${SIMSCOPE_BUNDLE_MAX_MB:-1200}; MAXA=${SIMSCOPE_ARCHIVE_MAX_MB:-450}
  [ "$FOLDER_MB" -le "$MAX" ] || { echo "FAIL: the CPU bundle is $FOLDER_MB MB, over $MAX MB" >&2; exit 1; }
  [ "$ARCHIVE_MB" -le "$MAXA" ] || { echo "FAIL: its archive is $ARCHIVE_MB MB, over $MAXA MB" >&2; exit 1; }
  echo "sizes ok: $FOLDER_MB <= $MAX MB unpacked, $ARCHIVE_MB <= $MAXA MB archived"
fi
