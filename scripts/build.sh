#!/usr/bin/env bash
# Build the one-folder desktop bundle (dist/simscope/) from a clean checkout, then self-test it.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
VENV="${SIMSCOPE_VENV:-.venv}"
"$VENV/bin/python" -m pip install -q -e ".[build]"
DIST="${SIMSCOPE_DIST:-dist}"
WORK="${SIMSCOPE_BUILD_WORK:-build}"
"$VENV/bin/pyinstaller" --noconfirm --distpath "$DIST" --workpath "$WORK" build.spec
"$DIST/simscope/simscope" --self-test
echo "bundle: $DIST/simscope ($(du -sh "$DIST/simscope" | cut -f1))"
