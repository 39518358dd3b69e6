"""The desktop bundle: build.spec builds from this checkout, and the executable's --self-test passes.

Slow (about 12 minutes on 2 cores: PyInstaller analyses torch & co.). .ci/run runs it as its second step;
./scripts/test.sh leaves it out unless SIMSCOPE_BUNDLE=1 (SIMSCOPE_SKIP_BUNDLE=1 skips it always).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.skipif(bool(os.environ.get("SIMSCOPE_SKIP_BUNDLE")), reason="SIMSCOPE_SKIP_BUNDLE is set")
def test_bundle_builds_and_passes_its_self_test(tmp_path):
    try:
        _build_and_self_test(tmp_path)
    finally:  # ~5 GB: never leave it in pytest's kept temp folders
        shutil.rmtree(tmp_path / "dist", ignore_errors=True)
        shutil.rmtree(tmp_path / "work", ignore_errors=True)


def _build_and_self_test(tmp_path):
    pyinstaller = Path(sys.executable).with_name("pyinstaller")
    build = subprocess.run([str(pyinstaller), "--noconfirm", "--distpath", str(tmp_path / "dist"),
                            "--workpath", str(tmp_path / "work"), "build.spec"],
                           cwd=ROOT, capture_output=True, text=True, timeout=1500)
    assert build.returncode == 0, build.stderr[-4000:]
    bundle = tmp_path / "dist" / "simscope"
    internal = bundle / "_internal"
    assert list((internal / "torchvision").glob("_C*.so")), "torchvision's compiled operators are missing"
    assert (internal / "resources" / "demo" / "photos").is_dir()
    assert not (internal / "tests").exists() and not (internal / "triton").exists()
    assert not (internal / "ray").exists() and not (internal / "pyarrow").exists()  # the cluster extra: CLI only
    assert (internal / "resources" / "models" / "simscope-logo" / "weights.safetensors").is_file()  # Logos' default
    env = {k: v for k, v in os.environ.items() if k != "SIMSCOPE_DATA_DIR"}
    env["HF_HUB_OFFLINE"] = "1"
    out = subprocess.run([str(bundle / "simscope"), "--self-test"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0 and "self-test passed" in out.stdout, out.stdout[-3000:] + out.stderr[-3000:]
    for check in ("torch operators", "Albums", "Logos", "Lost & Found", "Fusion", "Trends"):
        assert f"ok    {check}" in out.stdout
