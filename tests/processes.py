"""Helpers for tests that start the project's own commands as child processes."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
from collections.abc import Iterator, Sequence
from typing import Any


@contextlib.contextmanager
def interruptible_children() -> Iterator[None]:
    """Children started inside get SIGINT's default action even if this process ignores it (as a
    background job of a non-interactive shell does): bash cannot trap a signal it was started
    ignoring, and run.sh must stop on Ctrl-C's signal."""
    previous = signal.getsignal(signal.SIGINT)
    if previous == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # reset to the default on exec
    try:
        yield
    finally:
        if previous == signal.SIG_IGN:
            signal.signal(signal.SIGINT, signal.SIG_IGN)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def run_bounded(args: Sequence[str], *, timeout: float, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """``subprocess.run(args, capture_output=True, text=True)`` in a session of its own that is
    killed whole after ``timeout`` seconds. ``subprocess.run``'s own timeout kills only the child:
    a grandchild still holding the output pipes would keep it waiting for their end, without limit."""
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, **kwargs) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
            raise AssertionError(
                f"{' '.join(args)} did not finish within {timeout} s\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
            ) from None
    return subprocess.CompletedProcess(args, process.returncode, stdout, stderr)
