#!/usr/bin/env bash
# Create (or update) the project's virtual environment and install everything
# the app and the tests need. Safe to re-run: when nothing changed since the
# last setup (same pyproject.toml, this script, Python and torch pair) it does
# nothing and takes a few milliseconds.
#   SIMSCOPE_VENV  where the environment lives (default: .venv in the checkout)
#   PYTHON         the interpreter that creates it (default: python3)
#   SIMSCOPE_FORCE_SETUP=1  install again even when the stamp says it is current
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${SIMSCOPE_VENV:-.venv}"
PY="${PYTHON:-python3}"

# torch and torchvision must come as a matching pair: a torchvision built for
# another torch fails at import with "operator torchvision::nms does not exist".
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64)  TORCH_PAIR="torch==2.14.1 torchvision==0.29.1" ;;
  Linux-aarch64) TORCH_PAIR="torch==2.9.1 torchvision==0.24.1" ;;
  *)             TORCH_PAIR="torch torchvision" ;;
esac

VPY="$VENV/bin/python"
STAMP="$VENV/.simscope-setup-stamp"
want_stamp() {
  { cat pyproject.toml scripts/setup.sh; echo "$TORCH_PAIR"; "$VPY" -c 'import sys; print(sys.version)'; } \
    | sha256sum | cut -d' ' -f1
}
if [ -x "$VPY" ] && [ -f "$STAMP" ] && [ "${SIMSCOPE_FORCE_SETUP:-0}" != 1 ] \
   && [ "$(cat "$STAMP")" = "$(want_stamp)" ]; then
  exit 0  # environment is current
fi

if [ ! -x "$VPY" ]; then
  echo "==> creating virtual environment in $VENV"
  "$PY" -m venv "$VENV"
fi

if ! "$VPY" -c "import torch, torchvision" >/dev/null 2>&1; then
  echo "==> installing $TORCH_PAIR (about 1 GB on the first setup)"
  # shellcheck disable=SC2086
  "$VPY" -m pip install --disable-pip-version-check -q $TORCH_PAIR
fi

echo "==> installing simscope and its dependencies"
"$VPY" -m pip install --disable-pip-version-check -q -e ".[dev]"
want_stamp > "$STAMP.tmp" && mv "$STAMP.tmp" "$STAMP"
echo "==> environment ready: $VENV"
