#!/usr/bin/env bash
# Set up the environment (if needed) and run the whole test suite offscreen.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
VENV="${SIMSCOPE_VENV:-.venv}"
export QT_QPA_PLATFORM=offscreen
export HF_HUB_OFFLINE="${HF_HUB_OFFLINE:-1}"
"$VENV/bin/python" -m pytest -ra "$@"
