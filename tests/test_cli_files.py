"""What the command writes besides the book never lands on the book, and the file-system's
refusals are one line and exit 2 with the book as it was (issue 16)."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ordersheet.book import files
from ordersheet.cli import cli

from tests.bookfiles import basic_book

runner = CliRunner()
TODAY = "2026-11-20"


def run(*args):
    return runner.invoke(cli, [str(a) for a in args])


def refused(r) -> str:
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1, r.output
    return lines[0]


@pytest.fixture
def book(tmp_path) -> Path:
    path = basic_book(tmp_path / "b.xlsx")
    assert run("run", path, "--dispatch", "--today", TODAY).exit_code == 0
    return path


def test_export_shipments_onto_the_book_is_refused(book):
    before = book.read_bytes()
    assert "order book itself" in refused(run("export-shipments", book, book))
    assert book.read_bytes() == before


def test_export_shipments_onto_another_workbook_is_refused(book, tmp_path):
    other = basic_book(tmp_path / "other.xlsx")
    before = other.read_bytes()
    assert "is a workbook" in refused(run("export-shipments", book, other))
    assert other.read_bytes() == before


def test_print_pdf_onto_the_book_is_refused_before_anything_is_written(book):
    before = book.read_bytes()
    assert "order book itself" in refused(run("print", book, "INV-00001", "--pdf", book))
    assert book.read_bytes() == before


def test_print_pdf_into_a_folder_and_onto_a_pdf_file(book, tmp_path):
    assert run("print", book, "INV-00001", "--pdf", tmp_path / "pdfs").exit_code == 0
    assert (tmp_path / "pdfs" / "INV-00001.pdf").read_bytes()[:4] == b"%PDF"
    assert run("print", book, "INV-00001", "--pdf", tmp_path / "inv.pdf").exit_code == 0
    assert (tmp_path / "inv.pdf").read_bytes()[:4] == b"%PDF"


@pytest.mark.parametrize("name,reason", [
    ("missing/out.xlsx", "does not exist"),
    ("out.csv", "must end in"),
    ("out.xlsm", "copy must be .xlsx"),
])
def test_bad_output_targets_are_refused_before_the_run(book, tmp_path, name, reason):
    before = book.read_bytes()
    assert reason in refused(run("run", book, "--today", TODAY, "--output", tmp_path / name))
    assert book.read_bytes() == before
    assert not (tmp_path / name).exists()


def test_output_onto_a_folder_is_refused(book, tmp_path):
    (tmp_path / "folder.xlsx").mkdir()
    assert "is a folder" in refused(run("run", book, "--output", tmp_path / "folder.xlsx"))


def test_a_pdf_folder_that_is_a_file_is_refused_before_the_book_is_written(book, tmp_path):
    (tmp_path / "pdf").write_text("not a folder")
    before = book.read_bytes()
    assert "is a file" in refused(run("run", book, "--dispatch", "--today", TODAY,
                                      "--pdf", tmp_path / "pdf"))
    assert book.read_bytes() == before


def test_a_read_only_book_is_refused_untouched_even_for_root(book):
    before = book.read_bytes()
    os.chmod(book, 0o444)
    assert "read-only" in refused(run("run", book, "--today", TODAY))
    assert book.read_bytes() == before and stat.S_IMODE(book.stat().st_mode) == 0o444


def test_a_read_only_book_can_still_be_copied_with_output(book, tmp_path):
    os.chmod(book, 0o444)
    assert run("run", book, "--today", TODAY, "--output", tmp_path / "copy.xlsx").exit_code == 0


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="changing a file's owner needs root")
def test_a_run_as_root_keeps_the_books_owner_group_and_mode(book):
    os.chown(book, 1234, 2345)
    os.chmod(book, 0o640)
    assert run("run", book, "--today", TODAY).exit_code == 0
    st = book.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1234, 2345, 0o640)


def test_temp_files_of_a_killed_run_are_removed(book):
    stale = [book.with_name(f".~{book.name}.k3j9x_aa.tmp"),
             book.with_name(f".~{book.name}.bak.q0w1e2r3.tmp")]
    mine = book.with_name(f".~{book.name}.notes.tmp")  # not a name ordersheet makes
    for f in stale + [mine]:
        f.write_bytes(b"half a zip")
    assert run("run", book, "--today", TODAY).exit_code == 0
    assert not any(f.exists() for f in stale) and mine.exists()


def test_a_full_disk_is_one_line_and_the_book_stays(book, monkeypatch):
    before = book.read_bytes()
    real = os.fsync

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(files.os, "fsync", full)
    line = refused(run("run", book, "--today", TODAY))
    monkeypatch.setattr(files.os, "fsync", real)
    assert "No space left on device" in line
    assert book.read_bytes() == before
    assert [p.name for p in book.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_new_refuses_a_missing_folder_and_a_name_that_is_not_xlsx(tmp_path):
    assert "does not exist" in refused(run("new", tmp_path / "nope" / "b.xlsx"))
    assert ".xlsx" in refused(run("new", tmp_path / "b.csv"))
    assert not (tmp_path / "nope").exists()
