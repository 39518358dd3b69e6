#!/usr/bin/env bash
# Set up the environment (if needed) and run the test suite offscreen (~13-15 min on
# 2 cores). The desktop-bundle build (PyInstaller, ~12 min, CPU bundle ~1 GB) is not part of it:
# run ./scripts/build.sh for that, or SIMSCOPE_BUNDLE=1 ./scripts/test.sh to include
# its test. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
VENV="${SIMSCOPE_VENV:-.venv}"
# the cluster extra (Ray) for tests/test_cluster.py; the app never needs it
"$VENV/bin/python" -c "import ray.data" >/dev/null 2>&1 \
  || { echo "==> installing the cluster extra (Ray) for the tests"; \
       "$VENV/bin/python" -m pip install --disable-pip-version-check -q -e ".[cluster]"; }
export QT_QPA_PLATFORM=offscreen
./scripts/system_deps.sh "$VENV/bin/python" offscreen
export HF_HUB_OFFLINE="${HF_HUB_OFFLINE:-1}"
MARK=(-m "not slow")
[ "${SIMSCOPE_BUNDLE:-0}" = 1 ] && MARK=()
"$VENV/bin/python" -m pytest -ra "${MARK[@]}" "$@"
