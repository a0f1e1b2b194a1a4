"""Finding the modelpeek binary: the one a platform wheel ships, else
$MODELPEEK_BINARY, else modelpeek on PATH."""

import os
import shutil
import sys

_NAME = "modelpeek.exe" if sys.platform == "win32" else "modelpeek"


def find_binary():
    """Return the path of the modelpeek binary to run."""
    env = os.environ.get("MODELPEEK_BINARY")
    if env:
        if not os.access(env, os.X_OK):
            raise FileNotFoundError("MODELPEEK_BINARY=%s is not an executable file" % env)
        return env
    shipped = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin", _NAME)
    if os.access(shipped, os.X_OK):
        return shipped
    found = shutil.which("modelpeek")
    if found:
        return found
    raise FileNotFoundError(
        "the modelpeek binary was not found: install a platform wheel, put modelpeek on PATH, "
        "or set MODELPEEK_BINARY"
    )
