"""Ending a command cleanly when it is told to stop.

``kill`` (SIGTERM, as a scheduler or a service manager sends it) ends a command as Ctrl-C does: the
command unwinds, so a half-written output's temporary file is removed, worker processes are stopped and
their temporary folder deleted, and the exit code is 143 (128 + the signal's number).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator


class Terminated(SystemExit):
    """Raised in the main thread when the process is sent SIGTERM while :func:`exit_on_terminate` is on."""


requested = False  # set when SIGTERM came: Python drops an exception raised while an object is finalised,
# so a command that finishes after all still knows it was told to stop (see cli's ``_run``)


def exit_on_terminate() -> Callable[[], None] | None:
    """Make SIGTERM raise :class:`Terminated` in the main thread. Returns what puts the previous handler
    back; None where nothing was changed: not the main thread, no SIGTERM on this platform, or a handler
    set already (a program that embeds inspectkit and handles it itself, or ignores it)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        return None

    def stop(signum: int, frame: object) -> None:
        global requested
        requested = True
        raise Terminated(128 + signum)

    global requested
    previous = signal.getsignal(signal.SIGTERM)
    if previous is not signal.SIG_DFL:
        return None
    requested = False
    signal.signal(signal.SIGTERM, stop)
    return lambda: signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def terminate_held() -> Iterator[None]:
    """Hold SIGTERM back while worker processes are started: a stop that comes in the middle of starting
    them would leave some started and not yet known to their pool, so never stopped. Held, it is delivered
    as soon as the block ends, when the pool knows them all; the workers themselves are born with it held
    and let it through in :func:`in_worker`."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def in_worker() -> None:
    """In a worker process, first thing: SIGTERM ends it at once (its pool stops it with SIGTERM),
    whatever handler or mask it inherited from the command that started it."""
    if not hasattr(signal, "SIGTERM"):  # pragma: no cover - Windows
        return
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
