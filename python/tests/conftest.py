import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYDIR = os.path.join(ROOT, "python")
SAMPLE = os.path.join(ROOT, "assets", "web", "sample.onnx")

sys.path.insert(0, PYDIR)


@pytest.fixture(scope="session")
def binary(tmp_path_factory):
    """The modelpeek binary: $MODELPEEK_BINARY, else built from this tree."""
    env = os.environ.get("MODELPEEK_BINARY")
    if env:
        return env
    go = shutil.which("go")
    if not go:
        pytest.skip("go not found and MODELPEEK_BINARY not set")
    out = tmp_path_factory.mktemp("bin") / "modelpeek"
    subprocess.run([go, "build", "-o", str(out), "."], cwd=ROOT, check=True)
    return str(out)


@pytest.fixture
def env(binary, monkeypatch):
    """MODELPEEK_BINARY set for this process and for child interpreters."""
    monkeypatch.setenv("MODELPEEK_BINARY", binary)
    child = dict(os.environ)
    child["PYTHONPATH"] = PYDIR
    return child
