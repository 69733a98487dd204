"""Ctrl-C and SIGTERM at any moment of a command: one line, the documented exit code, nothing left.

Light on purpose (the standard library only): it is imported first, before the render's modules start
the jsii runtime, so that an interrupt during start-up is handled too. Scratch files of the run (ours
and jsii's, through ``TMPDIR``) live in one folder of the project's, ``.cache/tmp/<pid>-…``, removed on
the way out; a run killed outright (SIGKILL) leaves its folder, which the next run removes.
"""
from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(os.environ.get("PLATE_CACHE", Path(__file__).resolve().parent.parent / ".cache")) / "tmp"
EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}


def alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a folder or lock it left is then not stale)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def private_tmp() -> Path:
    """A scratch folder of this run's under the project's cache, made TMPDIR; the folders of runs that
    no longer exist are removed first."""
    ROOT.mkdir(parents=True, exist_ok=True)
    for folder in ROOT.iterdir():
        pid = folder.name.split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
    mine = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=ROOT))
    os.environ["TMPDIR"] = str(mine)
    tempfile.tempdir = None
    return mine


def kept() -> str:
    """What an interrupted run leaves: a folder it replaced (atomically), or nothing changed."""
    atomic = sys.modules.get("output.atomic")
    replaced = list(getattr(atomic, "REPLACED", []))
    if replaced:
        return f"the new render replaced {replaced[-1]}"
    return "nothing was changed (dist/ unchanged)"


# the exit codes of termination signals received: a signal whose SystemExit Python could not raise (it
# arrived inside a callback whose exceptions are only reported, "Exception ignored in ...") is still
# honoured, at the next check() and at the end of the command
PENDING: list[int] = []


def _terminated(signum: int, _frame: object) -> None:
    code = EXIT.get(signal.Signals(signum), 128 + signum)
    PENDING.append(code)
    raise SystemExit(code)


def check() -> None:
    """Leave now if a termination signal arrived whose exit was swallowed (before dist/ is replaced)."""
    if PENDING:
        raise SystemExit(PENDING[-1])


def _unraisable(default: Callable[..., object]) -> Callable[..., object]:
    def hook(unraisable: object) -> None:
        if isinstance(getattr(unraisable, "exc_value", None), SystemExit) and PENDING:
            return  # our signal's exit where it could not propagate: check() honours it, silently here
        default(unraisable)
    return hook


def run(command: Callable[[], int], unchanged: Callable[[], str]) -> int:
    """Run ``command`` (its exit code) so that an interrupt ends it with one line on stderr
    (``interrupted: `` or ``terminated: `` and what ``unchanged()`` says was kept) and exit 130 (Ctrl-C),
    143 (SIGTERM) or 129 (SIGHUP), without the tracebacks of Python or of jsii's exit handlers."""
    scratch = private_tmp()
    sys.unraisablehook = _unraisable(sys.unraisablehook)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _terminated)
    try:
        code = command()
        check()
    except KeyboardInterrupt:
        _end(scratch, 130, f"interrupted: {unchanged()}")
    except SystemExit as exc:
        if exc.code in (129, 143):
            _end(scratch, int(exc.code), f"terminated: {unchanged()}")
        _quiet()
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    _quiet()  # done: a signal while the runtimes shut down changes nothing and says nothing
    shutil.rmtree(scratch, ignore_errors=True)
    return code


def _quiet() -> None:
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)


def _end(scratch: Path, code: int, line: str) -> None:
    # further signals while leaving are ignored: the line is printed once
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)
    print(line, file=sys.stderr, flush=True)
    shutil.rmtree(scratch, ignore_errors=True)
    os._exit(code)  # not sys.exit: jsii's exit handlers would print tracebacks of a half-stopped runtime
