#!/usr/bin/env bash
# Make sure Qt can load its platform plugin here: the system libraries it needs
# (the xcb family, fontconfig, EGL, ...) are read from the plugin with ldd
# (python -m app.platform_check). On Debian/Ubuntu they are installed with apt
# when we are root or have sudo; otherwise we stop with the one command to run.
#   usage: scripts/system_deps.sh VENV_PYTHON [QT_QPA_PLATFORM]
set -euo pipefail
VPY="$1"
PLATFORM="${2:-${QT_QPA_PLATFORM:-}}"
[ "$(uname -s)" = Linux ] || exit 0

PKGS="$(QT_QPA_PLATFORM="$PLATFORM" "$VPY" -m app.platform_check --apt)"
if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list 2>/dev/null | head -1)" ]; then
  PKGS="$PKGS fontconfig fonts-dejavu-core"  # no system font at all: Qt needs one for Latin text
fi
PKGS="$(echo "$PKGS" | xargs)"
[ -n "$PKGS" ] || exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "simscope: Qt needs system libraries this machine lacks:" >&2
  QT_QPA_PLATFORM="$PLATFORM" "$VPY" -m app.platform_check >&2 || true
  echo "Install them with your distribution's package manager, then run this again." >&2
  exit 3
fi
if [ "$(id -u)" = 0 ]; then SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"
else
  echo "simscope: Qt needs system packages that are not installed: $PKGS" >&2
  echo "Run this once, then start again:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y $PKGS" >&2
  exit 3
fi
echo "==> installing system packages Qt needs: $PKGS"
LOG="$(mktemp)"
# shellcheck disable=SC2086
if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
        --no-install-recommends $PKGS; } >"$LOG" 2>&1; then
  cat "$LOG" >&2
  echo "simscope: installing $PKGS failed (above). Install them by hand, then start again." >&2
  rm -f "$LOG"
  exit 3
fi
rm -f "$LOG"
