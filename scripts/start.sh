#!/usr/bin/env bash
# Set up the environment (if needed) and start Simscope on its bundled demo data.
# Extra arguments go to the app (e.g. --data-dir DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
VENV="${SIMSCOPE_VENV:-.venv}"
exec "$VENV/bin/simscope" --demo "$@"
