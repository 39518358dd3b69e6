#!/usr/bin/env bash
# Create (or update) the project's virtual environment and install everything
# the app and the tests need. Safe to re-run: when nothing changed since the
# last setup (same pyproject.toml, constraints.txt, this script, Python and torch
# pair) it does nothing and takes a few milliseconds.
#   SIMSCOPE_VENV   where the environment lives (default: .venv in the checkout)
#   SIMSCOPE_TORCH  cpu | cuda: which build of torch. Default: what the environment
#                   has already, else cuda where an NVIDIA GPU is seen (nvidia-smi -L
#                   or /proc/driver/nvidia), cpu elsewhere. On Linux x86_64 the CPU
#                   venv is ~2.1 GB against ~6.6 GB for CUDA (no nvidia/, no triton/).
#   SIMSCOPE_EXTRAS the project's extras to install (default: dev; the bundle build: build)
#   SIMSCOPE_TORCH_CPU_INDEX  where pip finds +cpu torch builds (default: PyTorch's CPU index)
#   PYTHON          the interpreter that creates it (default: python3)
#   SIMSCOPE_FORCE_SETUP=1  install again even when the stamp says it is current
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${SIMSCOPE_VENV:-.venv}"
PY="${PYTHON:-python3}"
EXTRAS="${SIMSCOPE_EXTRAS:-dev}"
VPY="$VENV/bin/python"
STAMP="$VENV/.simscope-setup-stamp"

installed() {  # the installed version of a package, or nothing (no torch import: ~50 ms)
  [ -x "$VPY" ] && "$VPY" -c 'import importlib.metadata as m, sys
try: print(m.version(sys.argv[1]))
except m.PackageNotFoundError: pass' "$1" 2>/dev/null || true
}
nvidia_gpu() { [ -e /proc/driver/nvidia/version ] || { command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; }; }

HAVE_TORCH="$(installed torch)"
if [ -n "${SIMSCOPE_TORCH:-}" ]; then
  FLAVOUR="$SIMSCOPE_TORCH"
elif [ -n "$HAVE_TORCH" ]; then  # never swap a working torch unasked: SIMSCOPE_TORCH=cpu does
  case "$HAVE_TORCH" in *+cpu) FLAVOUR=cpu ;; *) FLAVOUR=cuda ;; esac
elif nvidia_gpu; then
  FLAVOUR=cuda
else
  FLAVOUR=cpu
fi
case "$FLAVOUR" in cpu|cuda) ;; *) echo "SIMSCOPE_TORCH must be cpu or cuda, not '$FLAVOUR'" >&2; exit 2 ;; esac

# torch and torchvision must come as a matching pair: a torchvision built for
# another torch fails at import with "operator torchvision::nms does not exist".
# The CPU pair: PyTorch's CPU index has torchvision+cpu with its operators; where
# only PyPI's (CUDA-built) torchvision is found, its operators do not load and
# core/torchvision_compat.py (run from a .pth file below) lets it import anyway.
PIP_TORCH=()
case "$(uname -s)-$(uname -m)-$FLAVOUR" in
  Linux-x86_64-cuda) TORCH_PAIR="torch==2.14.1 torchvision==0.29.1" ;;
  Linux-*-cpu)       TORCH_PAIR="torch==2.13.0+cpu torchvision==0.28.0"
                     CPU_INDEX="${SIMSCOPE_TORCH_CPU_INDEX-https://download.pytorch.org/whl/cpu}"
                     [ -n "$CPU_INDEX" ] && PIP_TORCH=(--extra-index-url "$CPU_INDEX") ;;
  Linux-*)           TORCH_PAIR="torch==2.13.0 torchvision==0.28.0" ;;
  *)                 TORCH_PAIR="torch==2.13.0 torchvision==0.28.0" ;;  # macOS, Windows: CPU (and MPS) builds
esac

# $PWD too: the editable install and the .pth below point into this checkout, so a venv reused
# from another one (CI's cached venvs, a fresh clone each run) is pointed here again (~1 min)
want_stamp() {
  { cat pyproject.toml constraints.txt scripts/setup.sh; echo "$TORCH_PAIR $EXTRAS $PWD"; "$VPY" -c 'import sys; print(sys.version)'; } \
    | sha256sum | cut -d' ' -f1
}
if [ -x "$VPY" ] && [ -f "$STAMP" ] && [ "${SIMSCOPE_FORCE_SETUP:-0}" != 1 ] \
   && [ "$(cat "$STAMP")" = "$(want_stamp)" ]; then
  exit 0  # environment is current
fi
if [ -n "$HAVE_TORCH" ] && [ -z "${SIMSCOPE_TORCH:-}" ] && [ "$FLAVOUR" = cuda ] && ! nvidia_gpu; then
  echo "==> note: $VENV has CUDA torch but no NVIDIA GPU is seen; SIMSCOPE_TORCH=cpu $0 makes it CPU-only (~4.5 GB less)"
fi

if [ ! -x "$VPY" ]; then
  echo "==> creating virtual environment in $VENV"
  "$PY" -m venv "$VENV"
fi
PIP=("$VPY" -m pip install --disable-pip-version-check -q -c constraints.txt)

want_version() { sed -n "s/.*$1==\([^ ]*\).*/\1/p" <<<"$TORCH_PAIR"; }
if [ "$(installed torch)" != "$(want_version torch)" ] || [ "$(installed torchvision)" != "$(want_version torchvision)" ]; then
  echo "==> installing $TORCH_PAIR ($FLAVOUR; about $([ "$FLAVOUR" = cpu ] && echo 0.2 || echo 1) GB to download on the first setup)"
  # shellcheck disable=SC2086
  "${PIP[@]}" "${PIP_TORCH[@]}" $TORCH_PAIR
fi
if [ "$FLAVOUR" = cpu ]; then  # what a CUDA torch left behind (nvidia/ 3.2 GB, triton/ 0.9 GB)
  mapfile -t CUDA_LEFT < <("$VPY" -m pip list --format=freeze 2>/dev/null | grep -iE '^(nvidia-|triton==|cuda-)' | cut -d= -f1)
  if [ "${#CUDA_LEFT[@]}" -gt 0 ]; then
    echo "==> removing CUDA packages a CUDA torch left: ${CUDA_LEFT[*]}"
    "$VPY" -m pip uninstall -y -q "${CUDA_LEFT[@]}"
  fi
fi

echo "==> installing simscope and its dependencies (constraints.txt: the versions CI tests)"
"${PIP[@]}" -e ".[$EXTRAS]"

# torchvision beside CPU torch without its compiled operators: import through core/torchvision_compat.py
SITE="$("$VPY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
PTH="$SITE/simscope_torchvision_compat.pth"
rm -f "$PTH"
if ! "$VPY" -c "import torchvision" >/dev/null 2>&1; then
  if [ "$FLAVOUR" = cpu ]; then
    # a copy of core/torchvision_compat.py inside the venv, imported by its own name: the venv stays
    # whole when this checkout moves or is deleted (CI reuses one venv across fresh clones), and
    # importing the package `core` at every start would pin it to one checkout; a venv runs its
    # .pth files twice (lib/ and lib64/): the import runs the module once, install() is idempotent
    cp core/torchvision_compat.py "$SITE/simscope_torchvision_compat.py"
    echo "import simscope_torchvision_compat as m; m.install()" > "$PTH"
    echo "==> torchvision's compiled operators do not load beside CPU torch: imported without them (transforms and models)"
  fi
  "$VPY" -c "import torchvision" || { echo "torchvision does not import in $VENV (above)" >&2; exit 1; }
fi
want_stamp > "$STAMP.tmp" && mv "$STAMP.tmp" "$STAMP"
echo "==> environment ready: $VENV (torch $(installed torch), $(du -sh "$VENV" | cut -f1))"
