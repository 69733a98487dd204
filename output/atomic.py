"""Replace a folder so that no instant, crash or kill leaves it missing or partial.

The new content is staged in a hidden sibling folder ``.<name>.render-<pid>-*`` on the same
filesystem and exchanged with the target by one ``renameat2(RENAME_EXCHANGE)`` system call: before
it the target is the old content, after it the new, and the staging folder then holds the old
content, which is removed. Where the kernel or filesystem cannot exchange (not Linux, or
``EINVAL``), two renames are used with a recovery rule: an interrupted swap leaves
``.<name>.old-<pid>`` beside a missing target, and the next run puts it back.

Only one process works on a target at a time (``flock`` on its parent folder), so every staging
or old folder found while holding the lock belongs to an interrupted run and is cleaned up.
"""
from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

RENAME_EXCHANGE = 2
_AT_FDCWD = -100

# Test-only fault injection: a run pauses at the named point (the tests SIGKILL it there).
PAUSE_VARIABLE = "PLATE_TEST_PAUSE_AT"
NO_EXCHANGE_VARIABLE = "PLATE_TEST_NO_EXCHANGE"


_PAUSED = threading.Lock()


def checkpoint(name: str) -> None:
    """Pause forever at ``name`` when the test-only variable asks for it. Several threads may reach it
    at once (Helm renders charts in parallel): the first says so, the others pause without a word."""
    if os.environ.get(PAUSE_VARIABLE) == name:
        if _PAUSED.acquire(blocking=False):
            print(f"paused at {name}", file=sys.stderr, flush=True)
        while True:
            time.sleep(60)


def _renameat2() -> Callable[..., int] | None:
    if os.environ.get(NO_EXCHANGE_VARIABLE) or not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def exchange(a: Path, b: Path) -> bool:
    """Swap ``a`` and ``b`` atomically; False when this system cannot (the caller falls back)."""
    function = _renameat2()
    if function is None:
        return False
    if function(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _leftovers(target: Path) -> tuple[list[Path], list[Path]]:
    parent = target.parent
    staged = sorted(parent.glob(f".{target.name}.render-*"))
    old = sorted(parent.glob(f".{target.name}.old-*"))
    return staged, old


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def recover(target: Path) -> list[str]:
    """Restore or remove what an interrupted run left beside ``target``; return what was done."""
    said: list[str] = []
    staged, old = _leftovers(target)
    if old and not target.exists():
        newest = old[-1]
        newest.rename(target)
        old = old[:-1]
        said.append(f"restored {target} from an interrupted render ({newest.name})")
    for path in [*staged, *old]:
        try:
            _remove(path)
            said.append(f"removed {path.name}, left by an interrupted render")
        except OSError as exc:
            said.append(f"could not remove {path}, left by an interrupted render: {exc.strerror}")
    return said


@contextmanager
def locked(target: Path, say: Callable[[str], None]) -> Iterator[None]:
    """Hold the lock of ``target`` (waiting, with a word, while another run holds it).

    The lock is an ``flock`` on the parent folder itself: no lock file is left in the tree.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"waiting for another render of {target} to finish")
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


class _Terminated(BaseException):
    pass


@contextmanager
def interruptible() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into an exception so that ``finally`` blocks clean up."""
    def stop(signum: int, _frame: object) -> None:
        raise _Terminated(signum)

    try:
        previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGHUP)}
    except ValueError:  # not the main thread: nothing to install
        yield
        return
    try:
        yield
    except _Terminated as exc:
        raise SystemExit(128 + int(exc.args[0])) from None
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def staging_folder(target: Path) -> Path:
    """A new, empty folder beside ``target`` (same filesystem) for its next content."""
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.render-{os.getpid()}-", dir=target.parent))


# Targets this process has replaced (what an interrupted run reports as changed).
REPLACED: list[Path] = []


def replace(new: Path, target: Path) -> str | None:
    """Put ``new`` in place of ``target``; ``new`` must be a folder beside ``target``.

    Returns a warning when the previous content could not be removed afterwards (the swap itself
    succeeded). Raises OSError when the swap failed: ``target`` is then exactly as before.
    """
    if not target.exists() and not target.is_symlink():
        checkpoint("before-swap")
        new.rename(target)
        REPLACED.append(target)
        return None
    checkpoint("before-swap")
    if exchange(new, target):
        REPLACED.append(target)
        checkpoint("after-swap")
        leftover = new
    else:
        leftover = target.with_name(f".{target.name}.old-{os.getpid()}")
        target.rename(leftover)
        checkpoint("between-renames")
        try:
            new.rename(target)
        except OSError:
            leftover.rename(target)
            raise
        REPLACED.append(target)
        checkpoint("after-swap")
    try:
        _remove(leftover)
    except OSError as exc:
        return f"the previous render is kept at {leftover} (could not remove it: {exc.strerror})"
    return None
