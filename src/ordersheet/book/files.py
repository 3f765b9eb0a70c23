"""The book file itself, for every engine: locking a book against Excel and a second
ordersheet run, and replacing it atomically.

- `book_lock` refuses a book open in Excel or LibreOffice and serialises ordersheet runs;
- `atomic_write` writes beside the target, fsyncs, keeps one `.bak`, renames over it, and
  never leaves a half-written file behind.

Stdlib only; `fcntl`/`msvcrt` are imported lazily so the module imports in Pyodide and on
Windows."""

from __future__ import annotations

import os
import stat
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

from .port import WorkbookError


# ---- locks -------------------------------------------------------------------------------


def owner_files(path: Path) -> list[Path]:
    """Files an office application keeps beside a book it has open."""
    return [path.with_name("~$" + path.name),              # Excel
            path.with_name(".~lock." + path.name + "#")]   # LibreOffice


def check_not_open(path: Path) -> None:
    for owner in owner_files(path):
        if owner.exists():
            app = "Excel" if owner.name.startswith("~$") else "LibreOffice"
            raise WorkbookError(f"{path.name} is open in {app}: close it and run again")


def lock_path(path: Path) -> Path:
    return path.with_name("." + path.name + ".lock")


@contextmanager
def book_lock(path: str | Path, timeout: float = 30.0, poll: float = 0.1):
    """Hold the book for one ordersheet run.

    Refuses at once when Excel (or LibreOffice) has the book open; waits up to `timeout`
    seconds for another ordersheet run on the same book, then refuses. The lock file is
    left in place: deleting it would let a third run lock a different inode."""
    path = Path(path)
    check_not_open(path)
    fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT, 0o666)
    locked = False
    try:
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            locked = _try_lock(fd)
            if locked:
                break
            if time.monotonic() >= deadline:
                raise WorkbookError(f"{path.name} is being changed by another ordersheet run "
                                    f"(waited {timeout:g} s): try again when it has finished")
            time.sleep(poll)
        check_not_open(path)
        yield path
    finally:
        if locked:
            _unlock(fd)
        os.close(fd)


def _try_lock(fd: int) -> bool:
    try:
        import fcntl
    except ImportError:
        fcntl = None
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False
        except OSError:  # e.g. a file system without locks: do not block the user
            return True
    try:
        import msvcrt
    except ImportError:  # Pyodide: one process, nothing to lock against
        return True
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        return True
    except OSError:
        return False


def _unlock(fd: int) -> None:
    try:
        import fcntl
        fcntl.flock(fd, fcntl.LOCK_UN)
        return
    except ImportError:
        pass
    try:
        import msvcrt
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    except (ImportError, OSError):
        pass


# ---- atomic replace ----------------------------------------------------------------------


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows cannot open folders; its rename is durable enough
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def backup_path(target: Path) -> Path:
    return target.with_name(target.name + ".bak")


def atomic_write(target: str | Path, write: Callable[[object], None],
                 backup: bool = False) -> None:
    """Create `target` through `write(fileobj)` so that a crash or kill at any moment leaves
    either the old file or the new one: temp file in the same folder, flush + fsync,
    `os.replace`. With `backup`, the previous version is kept as `TARGET.bak` (one
    generation). The new file keeps the old one's permission bits."""
    import tempfile

    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
        existed = True
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
        existed = False
    fd, tmp = tempfile.mkstemp(prefix=".~" + target.name + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w+b") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        if backup and existed:
            _keep_backup(target)
        os.replace(tmp, target)
        _fsync_dir(folder)
    except BaseException:
        _discard(tmp)
        raise


def _discard(tmp: str) -> None:
    """Remove a temp file left by a failed write (it may already be gone)."""
    try:
        os.unlink(tmp)
    except OSError:
        pass


def _keep_backup(target: Path) -> None:
    """`TARGET.bak` becomes the current `TARGET`, atomically: a hard link when the file
    system has them (instant), else a copy through a temp file."""
    import shutil
    import tempfile

    bak = backup_path(target)
    fd, tmp = tempfile.mkstemp(prefix=".~" + bak.name + ".", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        os.unlink(tmp)
        try:
            os.link(target, tmp)
        except OSError:
            shutil.copy2(target, tmp)
        os.replace(tmp, bak)
    except BaseException:
        _discard(tmp)
        raise


__all__ = ["book_lock", "check_not_open", "atomic_write", "backup_path", "lock_path",
           "owner_files"]
