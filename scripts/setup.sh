#!/usr/bin/env bash
# Create (or update) the project's virtual environment and install everything
# the app and the tests need. Safe to re-run: it installs only what is missing.
#   SIMSCOPE_VENV  where the environment lives (default: .venv in the checkout)
#   PYTHON         the interpreter that creates it (default: python3)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${SIMSCOPE_VENV:-.venv}"
PY="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating virtual environment in $VENV"
  "$PY" -m venv "$VENV"
fi
VPY="$VENV/bin/python"

# torch and torchvision must come as a matching pair: a torchvision built for
# another torch fails at import with "operator torchvision::nms does not exist".
if ! "$VPY" -c "import torch, torchvision" >/dev/null 2>&1; then
  echo "==> installing torch + torchvision"
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64)  "$VPY" -m pip install "torch==2.14.1" "torchvision==0.29.1" ;;
    Linux-aarch64) "$VPY" -m pip install "torch==2.9.1" "torchvision==0.24.1" ;;
    *)             "$VPY" -m pip install torch torchvision ;;
  esac
fi

echo "==> installing simscope and its dependencies"
"$VPY" -m pip install --disable-pip-version-check -q -e ".[dev]"
echo "==> environment ready: $VENV"
