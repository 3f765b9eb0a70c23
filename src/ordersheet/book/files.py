"""The book file itself, for every engine: locking a book against Excel and a second
ordersheet run, and replacing it atomically.

- `book_lock` refuses a book open in Excel or LibreOffice and serialises ordersheet runs;
- `atomic_write` writes beside the target, fsyncs, keeps one `.bak`, renames over it, and
  never leaves a half-written file behind; `write_file` does the same for the files
  ordersheet makes beside the book (PDFs), without the fsync and the backup.

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

    Refuses at once when Excel (or LibreOffice) has the book open, or when the book does
    not exist (no lock file is made for it); waits up to `timeout` seconds for another
    ordersheet run on the same book, then refuses. The lock file `.BOOK.xlsx.lock` is
    removed when the run ends. A run that was waiting on a lock file that has since been
    removed sees that the file it holds is no longer the one at the path, and locks again
    (so two runs never hold different lock files for one book)."""
    path = Path(path)
    check_not_open(path)
    if not path.exists():
        raise WorkbookError(f"{path} does not exist")
    where = lock_path(path)
    deadline = time.monotonic() + max(0.0, timeout)
    while True:
        fd = os.open(where, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            while not _try_lock(fd):
                if time.monotonic() >= deadline:
                    raise WorkbookError(
                        f"{path.name} is being changed by another ordersheet run (waited "
                        f"{timeout:g} s): try again when it has finished")
                time.sleep(poll)
        except BaseException:
            os.close(fd)
            raise
        if _holds(fd, where):
            break
        _unlock(fd)  # the run before us removed this lock file: lock the new one
        os.close(fd)
    try:
        check_not_open(path)
        yield path
    finally:
        try:
            where.unlink()  # while still holding it: the next run re-checks the path
        except OSError:  # Windows keeps a file open elsewhere; a later run removes it
            pass
        _unlock(fd)
        os.close(fd)


def _holds(fd: int, where: Path) -> bool:
    """Is the open lock file `fd` still the one at `where`?"""
    try:
        at_path = os.stat(where)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (at_path.st_dev, at_path.st_ino)


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
    generation). The new file keeps the old one's permission bits, owner and group (a run
    as root on a user's book leaves it the user's). Temp files a killed run left beside
    the target are removed first. A file-system failure (no space, read-only, no
    permission) is a one-line `WorkbookError`, and the target is as it was."""
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        st = target.stat()
        mode, owner = stat.S_IMODE(st.st_mode), (st.st_uid, st.st_gid)
        existed = True
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode, owner = 0o666 & ~umask, None
        existed = False
    except OSError as e:
        raise _cannot(target, e) from None
    remove_stale_temps(target)

    def finish(tmp: str) -> None:
        os.chmod(tmp, mode)
        if owner is not None:
            _keep_owner(tmp, owner)
        if backup and existed:
            _keep_backup(target)

    _via_temp(target, folder, write, finish, durable=True)


def write_file(target: Path, data: bytes) -> None:
    """A file ordersheet makes beside the book (a PDF), whole or not at all: written to a
    temp file in the same folder, then renamed over `target`, so a run killed midway leaves
    the old file or none, never half of one (the next run makes what is missing). Not
    fsynced like the book: a PDF can be made again. A file-system failure is a one-line
    `WorkbookError`."""
    umask = os.umask(0)
    os.umask(umask)
    folder = target.parent if str(target.parent) else Path(".")
    # mkstemp makes the file 0600, which would hide the PDF from everyone else
    _via_temp(target, folder, lambda f: f.write(data),
              lambda tmp: os.chmod(tmp, 0o666 & ~umask), durable=False)


def _via_temp(target: Path, folder: Path, write: Callable[[object], None],
              finish: Callable[[str], None], durable: bool) -> None:
    """`write(fileobj)` into a temp file beside `target`, `finish(temp path)`, rename it
    over `target`; `durable`: fsync the file and the folder too. Any failure removes the
    temp file; a file-system one is a `WorkbookError`."""
    import tempfile

    try:
        fd, tmp = tempfile.mkstemp(prefix=".~" + target.name + ".", suffix=".tmp", dir=folder)
    except OSError as e:
        raise _cannot(target, e) from None
    try:
        with os.fdopen(fd, "w+b") as f:
            write(f)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        finish(tmp)
        os.replace(tmp, target)
        if durable:
            _fsync_dir(folder)
    except OSError as e:
        _discard(tmp)
        raise _cannot(target, e) from None
    except BaseException:
        _discard(tmp)
        raise


def remove_stale_files_in(folder: Path, suffix: str) -> list[Path]:
    """Temp files of `write_file` (of targets ending in `suffix`) that a killed run left in
    `folder`. Called under the book lock, so no other ordersheet run is writing them."""
    gone = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return gone
    for entry in entries:
        name = entry.name
        if name.startswith(".~") and name.endswith(".tmp") and suffix + "." in name:
            try:
                os.unlink(entry.path)
                gone.append(Path(entry.path))
            except OSError:
                pass
    return gone


def make_folder(folder: Path, what: str) -> None:
    """Create `folder` (and its parents) for files ordersheet writes; one-line failure."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise WorkbookError(f"{what} {folder}: cannot create the folder: "
                            f"{e.strerror or e}") from None


def _cannot(target: Path, e: OSError) -> WorkbookError:
    return WorkbookError(f"cannot write {target}: {e.strerror or e}")


def _keep_owner(tmp: str, owner: tuple[int, int]) -> None:
    """Give the new file the old one's owner and group where this process may."""
    chown = getattr(os, "chown", None)
    if chown is None:  # Windows: files have no uid/gid here
        return
    st = os.stat(tmp)
    if (st.st_uid, st.st_gid) == owner:
        return
    try:
        chown(tmp, *owner)
    except PermissionError:
        try:  # not root: at least the group, when this user is in it
            chown(tmp, -1, owner[1])
        except PermissionError:
            pass


def remove_stale_temps(target: Path) -> list[Path]:
    """Temp files of a write to `target` (or its backup) that a killed run left behind.
    Called under the book lock, so no other ordersheet run is writing them."""
    folder = target.parent if str(target.parent) else Path(".")
    gone = []
    for prefix in (".~" + target.name + ".", ".~" + backup_path(target).name + "."):
        for tmp in folder.glob(_glob_escape(prefix) + "*.tmp"):
            rest = tmp.name[len(prefix):-len(".tmp")]
            if len(rest) >= 6 and "." not in rest:  # mkstemp's random part only
                try:
                    tmp.unlink()
                    gone.append(tmp)
                except OSError:
                    pass
    return gone


def _glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def check_writable(book: Path) -> None:
    """Refuse, before anything is read or written, a book whose file is marked read-only
    (also for root, who could replace it anyway) or whose folder cannot take a new file."""
    try:
        st = book.stat()
    except OSError:
        return  # `sniff` says why
    if not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise WorkbookError(f"{book} is read-only: make it writable, or write a copy with "
                            "--output")
    folder = book.parent if str(book.parent) else Path(".")
    if not os.access(folder, os.W_OK):
        raise WorkbookError(f"{book}: its folder {folder} does not let ordersheet save the "
                            "book there (read-only or no permission): write a copy with "
                            "--output")


WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".ods")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def _is_workbook(path: Path) -> bool:
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        return True
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError:
        return False
    return head[:4] == b"PK\x03\x04" or head == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def check_output_file(book: Path, target: Path, what: str) -> None:
    """A file ordersheet writes besides the book (a PDF, a CSV) must be neither the book
    nor any workbook, and must go into a folder that exists: refused before anything is
    written."""
    if _same_file(target, book) or _same_file(target, backup_path(book)):
        raise WorkbookError(f"{what} {target} is the order book itself: choose another file")
    if target.is_dir():
        raise WorkbookError(f"{what} {target} is a folder: give a file name")
    if _is_workbook(target):
        raise WorkbookError(f"{what} {target} is a workbook: ordersheet writes a "
                            f"{what.split()[0]} there only into a file of its own kind")
    _check_folder(target.parent, what)


def check_output_folder(book: Path, folder: Path, what: str) -> None:
    """A folder ordersheet writes files into (PDFs): an existing folder or one it can
    create, never a file."""
    if folder.exists() and not folder.is_dir():
        raise WorkbookError(f"{what} {folder} is a file, not a folder")
    probe = folder
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK):
        raise WorkbookError(f"{what} {folder}: cannot create files there (read-only or no "
                            "permission)")


def check_output_book(book: Path, target: Path) -> None:
    """`--output`: a workbook of the book's own kind, in a folder that exists."""
    if target.is_dir():
        raise WorkbookError(f"--output {target} is a folder: give the workbook's file name")
    kind, want = target.suffix.lower(), book.suffix.lower()
    if kind not in (".xlsx", ".xlsm"):
        raise WorkbookError(f"--output {target}: ordersheet writes an .xlsx or .xlsm "
                            "workbook, so the name must end in one of those")
    if kind != want and ".xlsm" in (kind, want):
        raise WorkbookError(f"--output {target}: the book is {want}, so the copy must be "
                            f"{want} too (macros live only in .xlsm)")
    if target.exists() and not _same_file(target, book) and not _is_workbook(target):
        raise WorkbookError(f"--output {target} exists and is not a workbook: choose "
                            "another name")
    _check_folder(target.parent, "--output")


def _check_folder(folder: Path, what: str) -> None:
    folder = folder if str(folder) else Path(".")
    if not folder.is_dir():
        raise WorkbookError(f"{what}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise WorkbookError(f"{what}: cannot write into {folder} (read-only or no "
                            "permission)")


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
           "owner_files", "remove_stale_temps", "check_writable", "check_output_file",
           "check_output_folder", "check_output_book", "write_file", "remove_stale_files_in",
           "make_folder"]
