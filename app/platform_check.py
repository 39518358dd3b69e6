"""Can Qt open a window here? Checked before the application exists, so a missing system
library is a plain message instead of Qt's abort ("Could not load the Qt platform plugin").

Qt loads its platform plugin (``libqxcb.so`` on X11, ``libqwayland*.so`` on Wayland,
``libqcocoa.dylib`` on macOS, ``qwindows.dll`` on Windows) when ``QGuiApplication`` is
created; if one of the plugin's shared libraries is missing it calls ``qFatal`` and the
process aborts, and its own hint ("xcb-cursor0 or libxcb-cursor0 is needed") names one
library whatever is really missing. Here we read the plugin's missing libraries with
``ldd`` (fast, no Qt import), name the Debian/Ubuntu packages that provide them, and,
for ``--probe``, create a ``QGuiApplication`` in a child process so that any other
failure (no display, a broken driver) is caught without taking the caller down.

``python -m app.platform_check`` prints the verdict (exit 0 when Qt can start);
``--apt`` prints only the packages to install (``scripts/start.sh`` uses it).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

# Platforms that need no display server or system windowing libraries.
HEADLESS = {"offscreen", "minimal", "vnc", "linuxfb", "eglfs"}

# soname → the Debian / Ubuntu package that ships it (Qt 6's xcb and wayland plugins and
# the libraries QtGui / QtDBus pull in from the system).
DEBIAN_PACKAGES = {
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-glx.so.0": "libxcb-glx0",
    "libxcb-util.so.1": "libxcb-util1",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libXau.so.6": "libxau6",
    "libXdmcp.so.6": "libxdmcp6",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libSM.so.6": "libsm6",
    "libICE.so.6": "libice6",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libglx0",
    "libOpenGL.so.0": "libopengl0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libz.so.1": "zlib1g",
    "libpng16.so.16": "libpng16-16",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
    "libexpat.so.1": "libexpat1",
    "libuuid.so.1": "libuuid1",
    "libbsd.so.0": "libbsd0",
    "libmd.so.0": "libmd0",
    "libzstd.so.1": "libzstd1",
    "libpcre2-8.so.0": "libpcre2-8-0",
    "libbrotlidec.so.1": "libbrotli1",
    "libbrotlicommon.so.1": "libbrotli1",
    "libsystemd.so.0": "libsystemd0",
    "libcap.so.2": "libcap2",
    "libgcrypt.so.20": "libgcrypt20",
    "libgpg-error.so.0": "libgpg-error0",
    "liblzma.so.5": "liblzma5",
    "liblz4.so.1": "liblz4-1",
    "libGLdispatch.so.0": "libglvnd0",
    # QtNetwork (a second start raises the running window: app.instance)
    "libgssapi_krb5.so.2": "libgssapi-krb5-2",
    "libkrb5.so.3": "libkrb5-3",
    "libk5crypto.so.3": "libk5crypto3",
    "libkrb5support.so.0": "libkrb5support0",
    "libcom_err.so.2": "libcom-err2",
    "libkeyutils.so.1": "libkeyutils1",
}

PLUGIN_FILES = {
    "xcb": ["libqxcb.so"],
    "wayland": ["libqwayland.so", "libqwayland-generic.so"],
    "cocoa": ["libqcocoa.dylib"],
    "windows": ["qwindows.dll"],
}


@dataclass
class Verdict:
    ok: bool
    platform: str
    plugin: str = ""
    missing: list[str] = field(default_factory=list)
    packages: list[str] = field(default_factory=list)
    message: str = ""


def qt_plugin_dir() -> Path | None:
    """PySide6's ``Qt/plugins/platforms`` folder, found without importing Qt."""
    frozen = getattr(sys, "_MEIPASS", None)
    candidates = []
    if frozen:
        candidates += [Path(frozen) / "PySide6" / "Qt" / "plugins" / "platforms",
                       Path(frozen) / "PySide6" / "plugins" / "platforms"]
    spec = importlib.util.find_spec("PySide6")
    if spec and spec.submodule_search_locations:
        root = Path(list(spec.submodule_search_locations)[0])
        candidates += [root / "Qt" / "plugins" / "platforms", root / "plugins" / "platforms"]
    return next((c for c in candidates if c.is_dir()), None)


def candidate_platforms(env: dict | None = None) -> list[str]:
    """The platform plugins Qt will try, in its order."""
    env = os.environ if env is None else env
    chosen = env.get("QT_QPA_PLATFORM", "").strip()
    if chosen:
        return [p.split(":")[0] for p in chosen.split(";") if p]
    if sys.platform == "darwin":
        return ["cocoa"]
    if sys.platform == "win32":
        return ["windows"]
    if env.get("XDG_SESSION_TYPE") == "wayland" or env.get("WAYLAND_DISPLAY"):
        return ["wayland", "xcb"]
    return ["xcb"]


def missing_libraries(plugin: Path) -> list[str]:
    """Sonames ``ldd`` cannot resolve for ``plugin`` (its whole dependency tree)."""
    try:
        out = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return []  # no ldd (not glibc): the child-process probe is the check then
    missing = []
    for line in out.stdout.splitlines():
        if "=> not found" in line:
            name = line.split("=>")[0].strip()
            if name not in missing:
                missing.append(name)
    return missing


def install_command(packages: list[str]) -> str:
    prefix = "" if os.geteuid() == 0 else "sudo "
    return f"{prefix}apt-get install -y {' '.join(packages)}"


def check_platform(name: str) -> Verdict:
    """Whether the plugin for ``name`` is present and its libraries resolve."""
    if name in HEADLESS:
        return Verdict(True, name, message=f"{name}: needs no display")
    folder = qt_plugin_dir()
    if folder is None:  # a layout we do not know (a bundle, a system Qt): let Qt itself try
        return Verdict(True, name, message=(
            "Qt's plugins/platforms folder was not found beside PySide6; if the window does not open, "
            "reinstall the environment with ./scripts/setup.sh (or pip install --force-reinstall "
            "PySide6-Essentials)."))
    files = PLUGIN_FILES.get(name, [f"libq{name}.so"])
    plugin = next((folder / f for f in files if (folder / f).exists()), folder / files[0])
    if not plugin.exists():
        return Verdict(False, name, str(plugin), message=(
            f"Qt's '{name}' platform plugin is missing ({plugin}). Fix: reinstall PySide6-Essentials "
            f"(./scripts/setup.sh), or choose another platform with QT_QPA_PLATFORM."))
    if sys.platform.startswith("linux"):
        missing = missing_libraries(plugin)
        network = folder.parent.parent / "lib" / "libQt6Network.so.6"  # the app imports QtNetwork too
        if network.exists():
            missing += [m for m in missing_libraries(network) if m not in missing]
        if missing:
            packages = sorted({DEBIAN_PACKAGES.get(m, "") for m in missing} - {""})
            unknown = [m for m in missing if m not in DEBIAN_PACKAGES]
            fix = (f"On Debian/Ubuntu: {install_command(packages)}" if packages else "")
            if unknown:
                fix += (" " if fix else "") + f"Also install the packages that provide {', '.join(unknown)}."
            return Verdict(False, name, str(plugin), missing, packages, message=(
                f"Qt's '{name}' platform plugin cannot load: these system libraries are missing: "
                f"{', '.join(missing)}. {fix}"))
        if name == "xcb" and not os.environ.get("DISPLAY"):
            return Verdict(False, name, str(plugin), message=(
                "No X display to open a window on (DISPLAY is not set). Start Simscope from a desktop "
                "session, use ssh -X, or run headless with QT_QPA_PLATFORM=offscreen."))
        if name == "wayland" and not (os.environ.get("WAYLAND_DISPLAY") or os.environ.get("XDG_RUNTIME_DIR")):
            return Verdict(False, name, str(plugin), message="No Wayland display (WAYLAND_DISPLAY is not set).")
    return Verdict(True, name, str(plugin), message=f"{name}: {plugin} and its libraries are present")


def check(env: dict | None = None) -> Verdict:
    """The first candidate platform that can load, else the verdict on the last one tried
    (missing libraries win over a missing display: they are what the user must install)."""
    verdicts = [check_platform(p) for p in candidate_platforms(env)]
    for v in verdicts:
        if v.ok:
            return v
    with_libs = [v for v in verdicts if v.missing]
    return with_libs[0] if with_libs else verdicts[-1]


PROBE = ("import sys\n"
         "from PySide6.QtGui import QGuiApplication\n"
         "app = QGuiApplication(sys.argv[:1])\n"
         "print(app.platformName())\n")


def probe(timeout: float = 30.0) -> tuple[bool, str]:
    """Create a QGuiApplication in a child process: (ok, platform name or Qt's words)."""
    try:
        out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, f"Qt did not start within {timeout:.0f} s (is the display reachable?)"
    if out.returncode == 0:
        return True, out.stdout.strip()
    lines = [ln for ln in out.stderr.splitlines() if ln.strip() and "Fatal Python error" not in ln
             and not ln.startswith(("Current thread", "  File", "Thread 0x", "Extension modules"))]
    return False, "\n".join(lines[-6:]) or f"exit status {out.returncode}"


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m app.platform_check",
                                     description="Check that Qt can open a window on this machine.")
    parser.add_argument("--apt", action="store_true", help="print only the Debian packages to install")
    parser.add_argument("--probe", action="store_true", help="also start Qt in a child process")
    args = parser.parse_args(argv)
    verdict = check()
    if args.apt:
        print(" ".join(verdict.packages))
        return 0
    if not verdict.ok:
        print(f"simscope: {verdict.message}", file=sys.stderr)
        return 3
    if args.probe:
        ok, said = probe()
        if not ok:
            print(f"simscope: Qt could not start with the '{verdict.platform}' platform plugin:\n{said}",
                  file=sys.stderr)
            return 3
        print(f"Qt starts here (platform {said})")
        return 0
    print(verdict.message)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
