"""Hostile files are refused before their body is parsed, with bounded memory; a book open
in Excel or in another run is refused or waited for; a save killed at any moment leaves
either the old or the new book."""

from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from ordersheet.book import files
from ordersheet.book import plan as p
from ordersheet.book.port import WorkbookError
from ordersheet.book.xlsx import XlsxBook, limits, package

from .. import fixtures_build as fb

ROOT = Path(__file__).resolve().parents[2]


def refused(path: Path, match: str, reader: str = "auto", limit_mb: int = 64) -> str:
    """Open and read `path`; it must be refused with `match`, Python allocations staying
    under `limit_mb` (the native reader is never reached)."""
    tracemalloc.start()
    try:
        with pytest.raises(WorkbookError, match=match) as info:
            XlsxBook(path, reader=reader).read()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < limit_mb * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"
    assert "\n" not in str(info.value)  # one line for the user
    return str(info.value)


# ---- not a workbook ------------------------------------------------------------------------


def test_missing_file_folder_and_text_file(tmp_path):
    refused(tmp_path / "nope.xlsx", "no such file")
    refused(tmp_path, "folder")
    (tmp_path / "notes.xlsx").write_text("Order ID,Quantity\nSO-1,2\n")
    refused(tmp_path / "notes.xlsx", "not an .xlsx workbook")


def test_a_file_says_what_it_really_is(tmp_path):
    """A renamed file is named for what it is, with what to do about it (issue 18)."""
    renamed = tmp_path / "orders.xls"
    renamed.write_bytes(fb.plain_book(tmp_path / "orders.xlsx").read_bytes())
    assert "rename it to orders.xlsx" in refused(renamed, "is an .xlsx workbook with a .xls")
    old = tmp_path / "legacy.xls"
    old.write_bytes(fb.encrypted_book(tmp_path / "x.xlsx").read_bytes())
    refused(old, "legacy.xls is an old Excel 97-2003 workbook: open it in Excel, save it as")
    (tmp_path / "notes.xlsx").write_text("Order ID,Quantity\nSO-1,2\n")
    refused(tmp_path / "notes.xlsx", "a text file, perhaps CSV")
    (tmp_path / "page.xlsx").write_text("<html><body>Sign in</body></html>")
    refused(tmp_path / "page.xlsx", "HTML or XML")
    (tmp_path / "scan.xlsx").write_bytes(b"%PDF-1.7\n")
    refused(tmp_path / "scan.xlsx", "it is a PDF")
    (tmp_path / "empty.xlsx").write_bytes(b"")
    refused(tmp_path / "empty.xlsx", "it is empty")


def test_password_protected_book(tmp_path):
    msg = refused(fb.encrypted_book(tmp_path / "secret.xlsx"), "password-protected")
    assert "secret.xlsx" in msg


def test_a_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "letter.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    refused(path, "not an .xlsx workbook")
    doc = tmp_path / "doc.xlsx"
    parts = fb._minimal_parts(fb._sheet())
    parts["_rels/.rels"] = parts["_rels/.rels"].replace(b"xl/workbook.xml", b"xl/nothing.xml")
    fb._write_parts(doc, parts)
    refused(doc, "not an Excel workbook")


def test_a_package_with_a_part_twice(tmp_path):
    path = fb.plain_book(tmp_path / "twice.xlsx")
    with warnings_ignored():
        with zipfile.ZipFile(path, "a") as z:
            z.writestr("xl/worksheets/sheet1.xml", fb._sheet())
    refused(path, "twice")


class warnings_ignored:
    def __enter__(self):
        import warnings
        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *exc):
        self._w.__exit__(*exc)


# ---- bombs ---------------------------------------------------------------------------------


def test_zip_bomb_is_refused_from_the_zip_directory(tmp_path, monkeypatch):
    path = fb.zip_bomb(tmp_path / "bomb.xlsx", 128 * 1024 * 1024)
    assert path.stat().st_size < 2 * 1024 * 1024
    inflated = []
    real = limits.iter_member
    for module in (limits, package):  # read_member's calls, and the package's own
        monkeypatch.setattr(module, "iter_member",
                            lambda fp, info, *a, **k: inflated.append(info.filename) or
                            real(fp, info, *a, **k))
    refused(path, "zip bomb")
    assert "xl/worksheets/sheet1.xml" not in inflated  # refused before its body


def test_a_zip_directory_that_lies_is_caught_by_the_inflater(tmp_path):
    path = fb.lying_zip(tmp_path / "liar.xlsx", 64 * 1024 * 1024)
    info = zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml")
    assert info.file_size == 4096  # the directory says: tiny
    for reader in ("auto", "xml"):
        refused(path, "more than its zip directory declares", reader, limit_mb=32)


@pytest.mark.parametrize("where", ["workbook", "sheet"])
@pytest.mark.parametrize("reader", ["auto", "xml"])
def test_xml_entity_bombs(tmp_path, where, reader):
    refused(fb.entity_bomb(tmp_path / "lol.xlsx", where), "DTD", reader)


def test_absurd_declared_dimension(tmp_path):
    msg = refused(fb.huge_dimension(tmp_path / "dim.xlsx"), "used range")
    assert "XFD1048576" in msg


def test_a_cell_at_xfd1048576_never_reaches_the_dense_reader(tmp_path):
    """calamine would try to allocate 17 billion cells and abort the whole process, so
    this runs in a child process and also bounds its memory."""
    path = fb.far_cell(tmp_path / "far.xlsx")
    code = textwrap.dedent(f"""
        import resource, sys
        from ordersheet.book.xlsx import XlsxBook
        from ordersheet.book.port import WorkbookError
        for reader in ("auto", "xml"):
            try:
                XlsxBook({str(path)!r}, reader=reader).read()
                print("READ")
            except WorkbookError as e:
                print("REFUSED", e)
        print("RSS", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert [x.split()[0] for x in lines[:2]] == ["REFUSED", "REFUSED"]
    assert "larger than ordersheet reads" in lines[0] and "20,000,000" in lines[0]
    assert int(lines[2].split()[1]) < 400 * 1024  # KB


def test_a_giant_xml_comment_is_refused(tmp_path):
    """Issue 19: a 400 MB XML comment inside a 10 MB book was read for 6 minutes; no
    spreadsheet program writes comments into a sheet, so a big one is refused."""
    body = (b'<row r="1"><c r="A1" t="inlineStr"><is><t>Order ID</t></is></c></row><!--'
            + b"padding " * (3 * 1024 * 1024 // 8) + b"-->")
    path = fb._write_parts(tmp_path / "pad.xlsx", fb._minimal_parts(fb._sheet(body)))
    assert path.stat().st_size < 1024 * 1024
    refused(path, "XML comment over 1 MB")
    small = fb._sheet(b"<!-- written by a tool -->")
    ok = fb._write_parts(tmp_path / "ok.xlsx", fb._minimal_parts(small))
    XlsxBook(ok).read()


def test_100_mb_of_shared_strings(tmp_path, monkeypatch):
    path = fb.huge_shared_strings(tmp_path / "sst.xlsx")
    assert path.stat().st_size < 2 * 1024 * 1024
    refused(path, "shared strings")


def test_two_billion_declared_shared_strings(tmp_path):
    refused(fb.many_shared_strings_declared(tmp_path / "sst.xlsx"), "shared strings")


def test_tighter_limits_apply(tmp_path):
    path = fb.orders_book(tmp_path / "b.xlsx")
    with pytest.raises(WorkbookError, match="used range"):
        XlsxBook(path, limits=limits.Limits(max_cells=4)).read(["Orders"])


# ---- locks ---------------------------------------------------------------------------------


def test_a_book_open_in_excel_or_libreoffice_is_refused(tmp_path):
    path = fb.plain_book(tmp_path / "Orders 2026.xlsx")
    owner = tmp_path / "~$Orders 2026.xlsx"
    owner.write_bytes(b"\x00")
    with pytest.raises(WorkbookError, match="Orders 2026.xlsx is open in Excel: close it"):
        with files.book_lock(path, timeout=1):
            pass
    owner.unlink()
    book = XlsxBook(path)
    book.apply(p.WritePlan([p.SetCells("Orders", {(2, 1): "x"})]))
    (tmp_path / ".~lock.Orders 2026.xlsx#").write_text("user")
    before = path.read_bytes()
    with pytest.raises(WorkbookError, match="open in LibreOffice"):
        book.save()
    assert path.read_bytes() == before


HOLD = """
import sys, time
from pathlib import Path
from ordersheet.book import files
with files.book_lock(sys.argv[1], timeout=5):
    Path(sys.argv[2]).write_text("locked")
    time.sleep(float(sys.argv[3]))
"""


def _holder(path: Path, seconds: float) -> subprocess.Popen:
    """Another ordersheet run holding `path` for `seconds`, started and holding it."""
    flag = path.with_name("flag")
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path), str(flag), str(seconds)])
    deadline = time.monotonic() + 30
    while not flag.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return holder


def test_a_second_run_waits_for_the_lock_then_gives_up(tmp_path):
    path = fb.plain_book(tmp_path / "b.xlsx")
    holder = _holder(path, 1.5)
    try:
        start = time.monotonic()
        with pytest.raises(WorkbookError, match="another ordersheet run"):
            with files.book_lock(path, timeout=0.5):
                pass
        assert time.monotonic() - start >= 0.5
    finally:
        holder.wait(timeout=30)
    with files.book_lock(path, timeout=0.5):  # free again
        pass


def test_the_lock_file_goes_away_after_the_run_and_none_is_made_for_a_missing_book(tmp_path):
    path = fb.plain_book(tmp_path / "b.xlsx")
    with files.book_lock(path, timeout=1):
        assert files.lock_path(path).exists()
    assert not files.lock_path(path).exists()
    missing = tmp_path / "nope.xlsx"
    with pytest.raises(WorkbookError, match="does not exist"):
        with files.book_lock(missing, timeout=1):
            pass
    assert sorted(x.name for x in tmp_path.iterdir()) == ["b.xlsx"]


def test_a_run_waiting_on_a_removed_lock_file_locks_the_new_one(tmp_path):
    """The first run removes its lock file as it ends; the run that waited on that file
    must not think it holds the book while a third run locks a fresh file."""
    path = fb.plain_book(tmp_path / "b.xlsx")
    holder = _holder(path, 1.0)
    try:
        with files.book_lock(path, timeout=20):  # waits on the holder's file, then re-locks
            held = os.stat(files.lock_path(path))
            assert holder.wait(timeout=30) == 0  # the holder let go and ends
            third = os.open(files.lock_path(path), os.O_RDWR)
            try:  # a third run opening the path now sees the file we hold, locked
                assert (os.fstat(third).st_ino, os.fstat(third).st_dev) == \
                    (held.st_ino, held.st_dev)
                assert not files._try_lock(third)
            finally:
                os.close(third)
    finally:
        holder.wait(timeout=30)
    assert not files.lock_path(path).exists()


APPEND = """
import sys
from ordersheet.book import files, plan as p
from ordersheet.book.xlsx import XlsxBook
path, who = sys.argv[1], sys.argv[2]
with files.book_lock(path, timeout=60):
    book = XlsxBook(path)
    n = len(book.read(["Audit Log"])["Audit Log"].rows)
    book.apply(p.WritePlan([p.AppendRows("Audit Log", ["Who"], [[who]], ["text"], n,
                                         "tblAuditLog")]))
    book.save()
"""


def test_two_runs_at_once_lose_no_update(tmp_path):
    path = fb.plain_book(tmp_path / "b.xlsx")
    book = XlsxBook(path)
    book.apply(p.WritePlan([p.AppendRows("Audit Log", ["Who"], [["first"]], ["text"], 0,
                                         "tblAuditLog")]))
    book.save()
    runs = [subprocess.Popen([sys.executable, "-c", APPEND, str(path), who])
            for who in ("a", "b", "c")]
    assert [r.wait(timeout=120) for r in runs] == [0, 0, 0]
    rows = XlsxBook(path).read(["Audit Log"])["Audit Log"].rows
    assert sorted(r[0] for r in rows) == ["a", "b", "c", "first"]


# ---- atomic saves --------------------------------------------------------------------------


def test_in_place_save_keeps_one_backup_and_the_permissions(tmp_path):
    path = fb.orders_book(tmp_path / "b.xlsx")
    os.chmod(path, 0o640)
    original = path.read_bytes()
    for n in (1, 2):
        book = XlsxBook(path)
        previous = path.read_bytes()
        book.apply(p.WritePlan([p.SetCells("Settings", {(2, 2): 41 + n})]))
        book.save()
        assert files.backup_path(path).read_bytes() == previous
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert XlsxBook(path).read()["Settings"].rows[0] == ["Next Invoice Number", 43]
    assert original != files.backup_path(path).read_bytes()  # one generation only
    assert sorted(x.name for x in tmp_path.iterdir()) == ["b.xlsx", "b.xlsx.bak"]


def test_save_as_leaves_the_source_alone(tmp_path):
    path = fb.orders_book(tmp_path / "b.xlsx")
    before = path.read_bytes()
    book = XlsxBook(path)
    book.apply(p.WritePlan([p.SetCells("Settings", {(2, 2): 99})]))
    book.save(tmp_path / "copy.xlsx")
    assert path.read_bytes() == before
    assert not files.backup_path(path).exists()
    assert XlsxBook(tmp_path / "copy.xlsx").read()["Settings"].rows[0][1] == 99


def test_a_failing_write_leaves_the_book_and_no_temp_files(tmp_path):
    path = fb.orders_book(tmp_path / "b.xlsx")
    before = path.read_bytes()

    def boom(f):
        f.write(b"PK half a zip")
        raise RuntimeError("disk full")
    with pytest.raises(RuntimeError):
        files.atomic_write(path, boom, backup=True)
    assert path.read_bytes() == before
    assert [x.name for x in tmp_path.iterdir()] == ["b.xlsx"]


def test_a_book_changed_on_disk_after_reading_is_not_overwritten(tmp_path):
    path = fb.orders_book(tmp_path / "b.xlsx")
    book = XlsxBook(path)
    book.read()
    other = XlsxBook(path)
    other.apply(p.WritePlan([p.SetCells("Settings", {(2, 2): 1})]))
    other.save()
    book.apply(p.WritePlan([p.SetCells("Settings", {(2, 2): 2})]))
    with pytest.raises(WorkbookError, match="changed on disk"):
        book.save()
    assert XlsxBook(path).read()["Settings"].rows[0][1] == 1


SAVER = """
import sys, time
from ordersheet.book import plan as p
from ordersheet.book.xlsx import XlsxBook
from ordersheet.book.xlsx.save import _Build
path = sys.argv[1]
write = _Build.write


def slow_write(self, f):  # a slow disk: the kill window inside the write is wide
    print("writing", flush=True)

    class Slow:
        def __init__(self, f):
            self.f = f

        def write(self, b):
            time.sleep(0.002)
            return self.f.write(b)

        def __getattr__(self, name):
            return getattr(self.f, name)
    write(self, Slow(f))


_Build.write = slow_write
print("ready", flush=True)
k = 0
while True:
    k += 1
    book = XlsxBook(path)
    book.apply(p.WritePlan([p.UpdateColumns("Orders", 1, [(3, "Status", [f"run{k}"] * 20000,
                                                          "text")])]))
    book.save()
    print("saved", k, flush=True)
"""


def test_killing_a_save_at_random_moments_leaves_a_readable_book(tmp_path):
    path = fb.plain_book(tmp_path / "big.xlsx")
    book = XlsxBook(path)
    book.apply(p.WritePlan([p.ReplaceSheet("Orders", ["Order ID", "Quantity"],
                                           [[f"SO-{i}", i] for i in range(20000)], [])]))
    book.save()
    rng = random.Random(8)
    inside_write = 0
    for i in range(6):
        proc = subprocess.Popen([sys.executable, "-c", SAVER, str(path)],
                                stdout=subprocess.PIPE, text=True)
        wait_for = "writing" if i % 2 else "ready"
        while proc.stdout.readline().strip() != wait_for:
            pass
        time.sleep(rng.uniform(0.0, 0.15) if i % 2 else rng.uniform(0.0, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        raw = XlsxBook(path).read()["Orders"]  # either the old book or the new one
        assert len(raw.rows) == 20000
        status = {r[2] for r in raw.rows} if len(raw.header) == 3 else {"never saved"}
        assert len(status) == 1, status  # all of one run: never a mix
        leftovers = [x for x in tmp_path.iterdir() if x.name.endswith(".tmp")]
        inside_write += bool(leftovers)
        for x in leftovers:  # a killed save may leave its temp file, never a broken book
            x.unlink()
        if files.backup_path(path).exists():
            XlsxBook(files.backup_path(path)).read()
    assert inside_write >= 1


def test_a_symlinked_book_keeps_its_link(tmp_path):
    real = fb.orders_book(tmp_path / "real.xlsx")
    link = tmp_path / "link.xlsx"
    link.symlink_to(real)
    book = XlsxBook(link)
    book.apply(p.WritePlan([p.SetCells("Settings", {(2, 2): 7})]))
    book.save()
    assert link.is_symlink()
    assert XlsxBook(real).read()["Settings"].rows[0][1] == 7
