"""modelpeek: show ML model files as interactive graphs in the browser.

The calls mirror netron's (start, serve, stop, status, wait, widget), backed
by the modelpeek viewer in a child process, so that stopping is a process
exit: nothing lingers in this interpreter (no thread is started), and a
viewer whose Python parent dies, however it dies, exits by itself.

    import modelpeek
    modelpeek.start("model.onnx")      # opens the browser
    modelpeek.stop()
"""

import atexit
import os
import tempfile
import time
import webbrowser

from . import _child

__version__ = "0.1.0"
__all__ = ["start", "serve", "stop", "status", "wait", "widget", "__version__"]

# Running viewers by (host, port), in start order.
_children = {}


def _addr(address):
    """Normalise netron-style addresses: None, a port, "host:port" or
    (host, port); modelpeek serves on loopback only."""
    if address is None:
        return "127.0.0.1:0"
    if isinstance(address, int):
        return "127.0.0.1:%d" % address
    if isinstance(address, (tuple, list)) and len(address) == 2:
        host, port = address
        return "%s:%d" % (host or "127.0.0.1", int(port or 0))
    if isinstance(address, str):
        if address.isdigit():
            return "127.0.0.1:" + address
        return address
    raise ValueError("address must be None, a port, 'host:port' or (host, port), not %r" % (address,))


def _key(address):
    if address is None:
        return None
    if isinstance(address, (tuple, list)) and len(address) == 2:
        return (address[0], int(address[1]))
    host, _, port = _addr(address).rpartition(":")
    return (host, int(port))


def _write_data(data, name, tmpdir):
    """Serialise in-memory model data to a private file and return its path.
    data is bytes, an onnx.ModelProto, or a torch ScriptModule."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw, default = bytes(data), "model.bin"
    elif hasattr(data, "SerializeToString"):  # onnx.ModelProto and other protobufs
        raw, default = data.SerializeToString(), "model.onnx"
    elif hasattr(data, "save") and hasattr(data, "_c"):  # torch.jit.ScriptModule
        path = os.path.join(tmpdir, os.path.basename(name or "model.pt"))
        data.save(path)
        return path
    else:
        raise TypeError("data must be bytes, an onnx.ModelProto or a torch ScriptModule, not %s" % type(data).__name__)
    path = os.path.join(tmpdir, os.path.basename(name or default))
    with open(path, "wb") as f:
        f.write(raw)
    return path


def serve(file=None, data=None, address=None, browse=False):
    """Serve file (a path, or a list of paths) or data (bytes, an
    onnx.ModelProto, a torch ScriptModule: written to a private temporary
    file, removed on stop) in a new viewer, and return its (host, port).
    The files are watched: the page follows a re-export."""
    paths = []
    if file is not None:
        paths = [os.fspath(p) for p in (file if isinstance(file, (list, tuple)) else [file])]
    datadir = None
    if data is not None:
        datadir = tempfile.mkdtemp(prefix="modelpeek-data-")
        paths = [_write_data(data, paths[0] if paths else None, datadir)]
    addr = _addr(address)
    host, _, port = addr.rpartition(":")
    if port != "0" and (host, int(port)) in _children:
        stop((host, int(port)))
    try:
        child = _child.launch(paths, addr)
    except BaseException:
        if datadir:
            _rmtree(datadir)
        raise
    child.datadir = datadir
    _children[child.address] = child
    if browse:
        webbrowser.open(child.url)
    return child.address


def start(file=None, address=None, browse=True):
    """Start a viewer on file and open it in the browser (netron.start)."""
    return serve(file, address=address, browse=browse)


def stop(address=None):
    """Stop the viewer at address, or every viewer when address is None.
    Each stop is bounded: stdin closed, then SIGTERM, then kill."""
    keys = list(_children) if address is None else [_key(address)]
    for key in keys:
        child = _children.pop(key, None)
        if child is None:
            continue
        try:
            child.stop()
        finally:
            if getattr(child, "datadir", None):
                _rmtree(child.datadir)


def status(address=None):
    """Return the (host, port) of every running viewer (or of the one at
    address, when it runs)."""
    for key, child in list(_children.items()):
        if not child.running():
            stop(key)
    if address is None:
        return list(_children)
    key = _key(address)
    return [key] if key in _children else []


def url(address=None):
    """Return the viewer URL with its launch token (the newest viewer when
    address is None)."""
    if not _children:
        raise RuntimeError("no modelpeek viewer is running")
    child = _children[_key(address)] if address is not None else list(_children.values())[-1]
    return child.url


def wait():
    """Block until every viewer has exited; Ctrl+C stops them."""
    try:
        while status():
            time.sleep(0.2)
    except KeyboardInterrupt:
        stop()


def widget(address=None, height=800):
    """Return an IPython IFrame showing the viewer at address (Jupyter)."""
    from IPython.display import IFrame

    return IFrame(url(address), width="100%", height=height)


def _rmtree(path):
    import shutil

    shutil.rmtree(path, ignore_errors=True)


atexit.register(stop)
