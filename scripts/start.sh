#!/usr/bin/env bash
# Set up the environment (if needed) and start Simscope on your own data folder;
# ./scripts/start.sh --demo starts it on its bundled demo data, in a folder of its own.
# The first run on a fresh machine installs the Python environment (~4 min) and, on
# Debian/Ubuntu, the system libraries Qt needs; later runs skip both (a stamp).
# Extra arguments go to the app (e.g. --data-dir DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
VENV="${SIMSCOPE_VENV:-.venv}"
./scripts/system_deps.sh "$VENV/bin/python"
exec "$VENV/bin/python" -m app "$@"
