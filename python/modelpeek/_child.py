"""One modelpeek viewer running as a child process.

The child is `modelpeek serve --no-browser --watch-stdin`: it quits when its
standard input closes, so closing our end of that pipe is the polite stop,
and the kernel closing it when this interpreter dies (even by SIGKILL) stops
the child too. No thread is started here: the child's output goes to files
in a private temporary directory, read back for the serving line.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from ._binary import find_binary

SERVING = re.compile(r"^modelpeek: serving (http://([^/:]+|\[[^\]]+\]):(\d+)/\S*)$", re.M)

# How long the child may take to print its serving line (it takes about
# 50 ms; the bound turns a hang into an error).
START_TIMEOUT = 30.0
# How long each stop step waits: closing stdin, then SIGTERM, then kill.
STOP_STEP = 1.0


class Child:
    """A running viewer: its process, URL (with the launch token), host and
    port, and the private directory holding its logs and in-memory models."""

    def __init__(self, args, tmpdir):
        self.tmpdir = tmpdir
        self._out = open(os.path.join(tmpdir, "stdout.log"), "w+b")
        self._err = open(os.path.join(tmpdir, "stderr.log"), "w+b")
        kwargs = {}
        if sys.platform == "win32":
            kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
        else:
            kwargs["start_new_session"] = True  # Ctrl+C in a terminal is ours to handle
        self.proc = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=self._out, stderr=self._err, close_fds=True, **kwargs
        )
        self.url, self.host, self.port = self._wait_serving()

    @property
    def address(self):
        return (self.host, self.port)

    def _wait_serving(self):
        deadline = time.monotonic() + START_TIMEOUT
        delay = 0.005
        while True:
            self._out.seek(0)
            m = SERVING.search(self._out.read().decode("utf-8", "replace"))
            if m:
                return m.group(1), m.group(2).strip("[]"), int(m.group(3))
            if self.proc.poll() is not None:
                raise RuntimeError("modelpeek exited with status %d: %s" % (self.proc.returncode, self.stderr().strip()))
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("modelpeek did not start within %.0f s" % START_TIMEOUT)
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    def stderr(self):
        """What the child wrote on stderr so far."""
        self._err.seek(0)
        return self._err.read().decode("utf-8", "replace")

    def running(self):
        return self.proc.poll() is None

    def wait(self, timeout=None):
        return self.proc.wait(timeout)

    def stop(self):
        """Stop the child: close its stdin (it quits cleanly), then SIGTERM
        (TerminateProcess on Windows), then kill, each step bounded; then
        remove the private directory."""
        try:
            if self.proc.stdin and not self.proc.stdin.closed:
                try:
                    self.proc.stdin.close()
                except OSError:
                    pass
            for step in (None, self._terminate, self.proc.kill):
                if step is not None:
                    step()
                try:
                    self.proc.wait(STOP_STEP)
                    break
                except subprocess.TimeoutExpired:
                    continue
            else:
                self.proc.wait()
        finally:
            self._out.close()
            self._err.close()
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def _terminate(self):
        if sys.platform == "win32":
            self.proc.terminate()
        elif self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass


def launch(paths, address):
    """Start `modelpeek serve` on paths at address ("host:port") and return
    the Child once it serves."""
    tmpdir = tempfile.mkdtemp(prefix="modelpeek-py-")
    args = [find_binary(), "serve", "--no-browser", "--watch-stdin", "--addr", address] + list(paths)
    try:
        return Child(args, tmpdir)
    except BaseException:
        shutil.rmtree(tmpdir, ignore_errors=True)
        raise
