"""The save's newer shortcuts (issue 9) write exactly what the plain way writes.

- `_SheetWriter._splice`: a touched row whose cells are the usual kind gets its new,
  restyled and highlighted cells swapped in by position (Orders rows with an Issue, Line
  numbers filled in, Inventory's On Hand), instead of merged cell by cell.
- `_restyle_plain`: a highlighted cell's style changed by slicing its start tag.
- `_plain_texts` / `_plain_int`: cheaper whole-column checks.
- `_PartStream` / `_Compressor`: a part's header and end are written by the zip thread
  (the next sheet is rendered meanwhile), with a short GIL switch interval while it runs.
Each is held against the path it shortcuts, on hand-made rows, random rows and whole runs.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import sys
import zipfile
import zlib
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from benchmarks.generate import generate_book
from ordersheet import app
from ordersheet.book.port import WorkbookError
from ordersheet.book.xlsx import XlsxBook
from ordersheet.book.xlsx.cells import _NEEDS_ESC, _plain_int, _plain_texts
from ordersheet.book.xlsx.edits import _Edit, _Src
from ordersheet.book.xlsx.ooxml import MAX_TEXT
from ordersheet.book.xlsx.package import _Package
from ordersheet.book.xlsx.row_merge import _PLAIN_CELL, _restyle_plain
from ordersheet.book.xlsx.sheet_writer import _SheetWriter
from ordersheet.book.xlsx.styles import _Styler, _Styles
from ordersheet.book.xlsx.zipout import _Compressor, _Deflater, _PartStream, _SWITCH_INTERVAL

TODAY = dt.date(2026, 11, 20)
NOW = dt.datetime(2026, 11, 20, 12, 0)

pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported")


def parts_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        return {n: z.read(n) for n in z.namelist()}


# ---- one row: spliced against merged cell by cell ------------------------------------------

def make_writer(marks=None, clears=None, cells=None, header=None, cols=None, col_xml=b""):
    """A writer for sheet rows with these edits: marks {r: {c: sev}}, clears {r: {c}},
    single cells {r: {c: value}}, header cells (written only where empty), and one
    UpdateColumns source `cols` = (first row, n, [(col, values)])."""
    sources = []
    if cols:
        first, n, columns = cols
        sources.append(_Src("cols", first, n, cols=[(c, v, None) for c, v in columns]))
    if cells:
        sources.append(_Src("cells", cells={r: {c: (v, None) for c, v in row.items()}
                                                 for r, row in cells.items()}))
    if header:
        sources.append(_Src("header", cells={r: {c: (v, None) for c, v in row.items()}
                                                  for r, row in header.items()}))
    edit = _Edit(
        sources=sources,
        marks={r: {c: (sev, "note") for c, sev in row.items()} for r, row in (marks or {}).items()},
        clears={r: set(cs) for r, cs in (clears or {}).items()})
    styles = _Styles(None)
    head = b"<worksheet><cols>" + col_xml + b"</cols>"
    return _SheetWriter("Orders", head, b"", edit, _Styler(styles), False)


def merged(build, r, attrs, inner, splice: bool, skip=-1, extra=b""):
    """(row XML or the error, cell formats, formula flag) of `merge_row` on a new writer."""
    w = build()
    if not splice:
        w._splice = lambda *a: None
    try:
        out = w.merge_row(r, attrs, inner, skip=skip, extra=extra)
    except WorkbookError as e:
        out = f"error: {e}"
    return out, w.styler.styles.items["cellXfs"], w.formula_removed


def same_both_ways(build, r, attrs, inner, **kw) -> bytes:
    fast = merged(build, r, attrs, inner, True, **kw)
    assert fast == merged(build, r, attrs, inner, False, **kw)
    return fast[0]


def test_a_highlighted_cell_is_restyled_in_place():
    row = (b'<c r="A7" t="inlineStr"><is><t>SO-1</t></is></c><c r="B7" s="3"><v>2</v></c>'
           b'<c r="C7"><v>5</v></c><c r="D7" s="4" t="inlineStr"><is><t>x</t></is></c>')
    build = lambda: make_writer(marks={7: {2: "Error", 3: "Warning"}})  # noqa: E731
    out = same_both_ways(build, 7, b' r="7"', row)
    w = build()
    s_b = w.styler.mark(3, "Error")
    s_c = w.styler.mark(0, "Warning")
    assert out == (b'<row r="7"><c r="A7" t="inlineStr"><is><t>SO-1</t></is></c>'
                   b'<c r="B7" s="%d"><v>2</v></c><c r="C7" s="%d"><v>5</v></c>'
                   b'<c r="D7" s="4" t="inlineStr"><is><t>x</t></is></c></row>' % (s_b, s_c))


@pytest.mark.parametrize("cell", [
    b'<c r="B7"/>', b'<c r="B7" s="3"/>', b'<c r="B7" t="s"><v>0</v></c>',
    b'<c r="B7" s="12" t="str"><v>x</v></c>', b'<c r="B7" t="s" s="3"><v>0</v></c>',
    b'<c r="B7" s="3" cm="1"><v>1</v></c>'])
@pytest.mark.parametrize("action", ["Error", "Warning", "clear"])
def test_marks_and_clears_on_cells_of_every_form(cell, action):
    row = b'<c r="A7"><v>1</v></c>' + cell + b'<c r="C7"><v>3</v></c>'
    if action == "clear":
        build = lambda: make_writer(clears={7: {2}})  # noqa: E731
    else:
        build = lambda: make_writer(marks={7: {2: action}})  # noqa: E731
    same_both_ways(build, 7, b' r="7" spans="1:3"', row)


def test_cells_the_row_lacks_go_between_their_neighbours():
    row = b'<c r="B7"><v>2</v></c><c r="D7"><v>4</v></c>'
    build = lambda: make_writer(marks={7: {1: "Error", 3: "Warning", 6: "Error"}},  # noqa: E731
                                cells={7: {3: 9, 5: "new"}}, clears={7: {4, 8}})
    out = same_both_ways(build, 7, b' r="7"', row)
    assert re.findall(rb'<c r="([A-Z]+)7"', out) == [b"A", b"B", b"C", b"D", b"E", b"F"]


def test_values_replace_cells_and_keep_their_style():
    row = b'<c r="A7" s="5"><v>1</v></c><c r="B7" s="6"/><c r="C7"><v>3</v></c>'
    build = lambda: make_writer(cells={7: {1: 10, 2: "Line", 3: None}},  # noqa: E731
                                marks={7: {1: "Error"}})
    same_both_ways(build, 7, b' r="7"', row)


def test_the_tool_cells_after_the_row_are_kept_after_it():
    """A highlighted Orders row: its marked cell restyled, then the pre-rendered tool cells
    (`extra`) of the skipped UpdateColumns source."""
    row = b'<c r="A7"><v>1</v></c><c r="B7"><v>2</v></c>'
    extra = b'<c r="M7" t="inlineStr"><is><t>Ready</t></is></c>'
    build = lambda: make_writer(marks={7: {2: "Error"}},  # noqa: E731
                                cols=(7, 1, [(13, ["Ready"])]))
    out = same_both_ways(build, 7, b' r="7"', row, skip=0, extra=extra)
    assert out.endswith(extra + b"</row>")


@pytest.mark.parametrize("row", [
    b'<c r="A7"><v>1</v></c> <c r="B7"><v>2</v></c>',  # text between cells
    b'<c r="B7"><v>2</v></c><c r="A7"><v>1</v></c>',  # out of column order
    b'<c r="A7"><v>1</v></c><c r="B8"><v>2</v></c>',  # numbered for another row
    b'<c r="A7"><v>1</v></c><c s="2"><v>2</v></c>',  # no reference
    b'<c r="A7"><f>1+1</f><v>2</v></c><c r="B7"><v>2</v></c>',  # a formula
    b'<c r="A7" t="inlineStr"><is><r><rPr><color rgb="FFFF0000"/></rPr><t>a</t></r></is>'
    b'</c><c r="B7"><v>2</v></c>',  # rich text
    b'<c r="A7"><v>1</v></c><c r="B7"><v>2</v></c>\n',  # text after the cells
])
def test_unusual_rows_are_merged_cell_by_cell(row):
    build = lambda: make_writer(marks={7: {2: "Error"}}, cells={7: {1: 5}})  # noqa: E731
    assert merged(build, 7, b' r="7"', row, True) == merged(build, 7, b' r="7"', row, False)
    assert build()._splice(7, row, [1, 2], {1: (5, None, False, None)}, {2: "Error"}, 0) \
        is None


def test_header_cells_written_only_where_empty_are_merged_cell_by_cell():
    row = b'<c r="A1" t="inlineStr"><is><t>Order ID</t></is></c><c r="B1"/>'
    build = lambda: make_writer(header={1: {1: "Order ID", 2: "Line"}})  # noqa: E731
    same_both_ways(build, 1, b' r="1"', row)


def test_a_row_with_its_own_format_and_column_styles():
    row = b'<c r="A7"><v>1</v></c><c r="C7"><v>3</v></c>'
    cols = b'<col min="2" max="2" width="9" style="4" customWidth="1"/>'
    build = lambda: make_writer(marks={7: {2: "Error"}}, cells={7: {4: 1}},  # noqa: E731
                                col_xml=cols)
    same_both_ways(build, 7, b' r="7"', row)
    same_both_ways(build, 7, b' r="7" s="6" customFormat="1"', row)


def test_an_overwritten_formula_still_drops_the_calc_chain():
    row = b'<c r="A7"><v>1</v></c><c r="B7"><f>A7*2</f><v>2</v></c>'
    build = lambda: make_writer(cells={7: {2: 5}})  # noqa: E731
    out, _, removed = merged(build, 7, b' r="7"', row, True)
    assert removed and b"<f>" not in out


LETTERS = ["A", "B", "C", "D", "E", "F", "G", "Z", "AA", "AB"]


@st.composite
def rows(draw):
    """A row as a user's sheet may hold it, and edits on it."""
    r = draw(st.integers(2, 30))
    usual = draw(st.integers(0, 3)) > 0  # mostly the kind of row the splice takes
    picked = draw(st.lists(st.sampled_from(range(len(LETTERS))), min_size=int(usual),
                           max_size=8, unique=True))
    if usual or draw(st.booleans()):
        picked.sort()
    forms = ["v", "str", "empty"] if usual else ["v", "str", "empty", "formula", "odd", "noref"]
    cells = []
    for k in picked:
        ref = f"{LETTERS[k]}{r if usual else draw(st.sampled_from([r, r, r + 1]))}"
        s = draw(st.sampled_from(["", ' s="3"', ' s="0"', ' s="17"']))
        form = draw(st.sampled_from(forms))
        if form == "v":
            cells.append(f'<c r="{ref}"{s}><v>{k}</v></c>')
        elif form == "str":
            cells.append(f'<c r="{ref}"{s} t="inlineStr"><is><t>t{k}</t></is></c>')
        elif form == "empty":
            cells.append(f'<c r="{ref}"{s}/>')
        elif form == "formula":
            cells.append(f'<c r="{ref}"{s}><f>1+{k}</f><v>{k + 1}</v></c>')
        elif form == "odd":
            cells.append(f'<c r="{ref}" t="n"{s}><v>{k}</v></c>')
        else:
            cells.append(f'<c{s}><v>{k}</v></c>')
    sep = "" if usual else draw(st.sampled_from(["", " "]))
    inner = sep.join(cells).encode()
    cols = st.sampled_from(range(1, len(LETTERS) + 2))
    marks = draw(st.dictionaries(cols, st.sampled_from(["Error", "Warning"]), max_size=3))
    clears = draw(st.sets(cols, max_size=2))
    values = draw(st.dictionaries(cols, st.one_of(st.none(), st.integers(-5, 5000),
                                                  st.sampled_from(["", "x", " y", "a&b"]),
                                                  st.just(D("1.50"))), max_size=3))
    attrs = draw(st.sampled_from([f' r="{r}"', f' r="{r}" spans="1:9"',
                                  f' r="{r}" s="3" customFormat="1"']))
    return r, attrs.encode(), inner, marks, clears, values


@settings(max_examples=100, deadline=None)
@given(rows(), st.booleans())
def test_random_rows_come_out_as_merged_cell_by_cell(row, with_tool_cells):
    r, attrs, inner, marks, clears, values = row
    col_xml = b'<col min="3" max="4" width="9" style="5" customWidth="1"/>'
    tool = (r, 1, [(40, ["Ready"])]) if with_tool_cells else None
    build = lambda: make_writer(marks={r: marks}, clears={r: clears},  # noqa: E731
                                cells={r: values}, cols=tool, col_xml=col_xml)
    kw = {"skip": 0, "extra": b'<c r="AN%d"><v>1</v></c>' % r} if with_tool_cells else {}
    same_both_ways(build, r, attrs, inner, **kw)


# ---- a cell's start tag restyled by slicing ------------------------------------------------

@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["A7", "XFD1048576"]), st.sampled_from(["", ' s="0"', ' s="3"', ' s="123"']),
       st.sampled_from(["", ' t="s"', ' t="inlineStr"']), st.sampled_from(["/>", "><v>1</v></c>"]),
       st.integers(0, 200))
def test_restyling_by_slicing_is_setting_the_attribute(ref, s, t, end, new_s):
    cell = f'<c r="{ref}"{s}{t}{end}'.encode()
    m = _PLAIN_CELL.match(cell)
    assert m is not None
    assert _restyle_plain(cell, m, new_s) == _SheetWriter._restyle(None, cell, new_s)


# ---- whole-column checks -------------------------------------------------------------------

def exact_plain(values) -> bool:
    """`_plain_texts` by its definition, text by text."""
    return all(not _NEEDS_ESC.search(v) and not re.search("[\x00-\x1f\x7f]", v)
               and v[0] != " " and v[-1] != " " and len(v) <= MAX_TEXT
               for v in values if v)


@pytest.mark.parametrize("texts", [
    ["a" * 32_767], ["a" * 32_768], ["b", "a" * 32_767, "c"], ["b", "a" * 32_768, "c"],
    ["é" * 20_000, "x"], ["é" * 32_768], ["x"] * 5_000 + ["y" * 32_768] + ["z"] * 5_000,
    ["x"] * 5_000 + ["y" * 32_767] + ["z"] * 5_000, ["ab"] * 30_000,
    ["\u3000lead", "x"], ["trail\xa0"], ["a b", "c d "], [" ", "x"]])
def test_long_and_edge_texts_are_told_apart_as_one_by_one(texts):
    assert _plain_texts(texts, has_none=False) == exact_plain(texts)
    assert _plain_texts(texts + [None, ""]) == exact_plain(texts)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-20_000, 20_000), st.integers()), max_size=40),
       st.booleans())
def test_ints_render_as_their_text(values, strip_none):
    if strip_none:
        values = [v for v in values if v is not None]
    got = _plain_int(values, None in values, "", False)[1]
    assert got == [None if v is None else str(v) for v in values]
    assert _plain_int(tuple(values), None in values, "", False)[1] == got


# ---- the zip thread ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def run_book(tmp_path_factory):
    """A book with highlighted cells, Line numbers to fill and stock that moves."""
    path = tmp_path_factory.mktemp("fastpaths") / "book.xlsx"
    generate_book(path, lines=700, skus=40, customers=20, error_rate=0.08, seed=11)
    outcome = app.execute(XlsxBook(path), "run", today=TODAY, now=NOW, dispatch=True,
                          write=False)
    return path, outcome.plan


def save(src: Path, plan, out: Path) -> dict[str, bytes]:
    book = XlsxBook(src)
    book.apply(plan)
    book.save(out)
    return parts_of(out)


def test_whole_runs_splice_as_merging_writes(run_book, tmp_path, monkeypatch):
    src, plan = run_book
    fast = save(src, plan, tmp_path / "fast.xlsx")
    spliced = []
    real = _SheetWriter._splice

    def counting(self, *a):
        got = real(self, *a)
        spliced.append(got is not None)
        return got
    monkeypatch.setattr(_SheetWriter, "_splice", counting)
    assert save(src, plan, tmp_path / "counted.xlsx") == fast
    assert sum(spliced) > 50  # highlighted Orders rows and Inventory's On Hand
    monkeypatch.setattr(_SheetWriter, "_splice", lambda self, *a: None)
    assert save(src, plan, tmp_path / "slow.xlsx") == fast

    # a second run: last run's highlights are cleared, new ones set
    again = app.execute(XlsxBook(tmp_path / "fast.xlsx"), "run", today=TODAY, now=NOW,
                        dispatch=True, write=False).plan
    slow2 = save(tmp_path / "fast.xlsx", again, tmp_path / "slow2.xlsx")
    monkeypatch.setattr(_SheetWriter, "_splice", real)
    assert save(tmp_path / "fast.xlsx", again, tmp_path / "fast2.xlsx") == slow2


def test_parts_finished_by_the_zip_thread_match_a_synchronous_save(run_book, tmp_path,
                                                                   monkeypatch):
    src, plan = run_book
    monkeypatch.setattr(_PartStream, "batch", 3000)  # many tasks per part
    threaded = save(src, plan, tmp_path / "threaded.xlsx")
    real = _Compressor.__init__
    monkeypatch.setattr(_Compressor, "__init__", lambda self, synchronous=False:
                        real(self, synchronous=True))
    assert save(src, plan, tmp_path / "sync.xlsx") == threaded


def test_a_part_dropped_midway_is_written_again_whole(run_book, tmp_path, monkeypatch):
    """Unusual XML near the end of Orders is found after its part was begun: the part is
    dropped (once the zip thread has written what it had) and written from the whole."""
    src, plan = run_book
    sheet = next(s for s in XlsxBook(src).sheets if s.name == "Orders").path
    odd = tmp_path / "odd.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(odd, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            body = zin.read(info.filename)
            if info.filename == sheet:
                k = body.rfind(b"<row ")
                body = body[:k] + b"<!-- kept -->" + body[k:]
            zout.writestr(info, body)
    iter_ = _Package.iter
    monkeypatch.setattr(_Package, "iter", lambda self, name, chunk=0: iter_(self, name, 4000))
    monkeypatch.setattr(_PartStream, "batch", 3000)
    aborted = []
    abort = _PartStream.abort
    monkeypatch.setattr(_PartStream, "abort", lambda self: aborted.append(1) or abort(self))
    threaded = save(odd, plan, tmp_path / "threaded.xlsx")
    assert aborted
    real = _Compressor.__init__
    monkeypatch.setattr(_Compressor, "__init__", lambda self, synchronous=False:
                        real(self, synchronous=True))
    assert save(odd, plan, tmp_path / "sync.xlsx") == threaded


def test_the_switch_interval_is_restored_after_a_save(run_book, tmp_path, monkeypatch):
    src, plan = run_book
    before = sys.getswitchinterval()
    seen = []
    deflate = _PartStream._deflate

    def watching(self, chunk):
        seen.append(sys.getswitchinterval())
        deflate(self, chunk)
    monkeypatch.setattr(_PartStream, "_deflate", watching)
    save(src, plan, tmp_path / "out.xlsx")
    assert seen and max(seen) <= _SWITCH_INTERVAL
    assert sys.getswitchinterval() == before

    def broken(self, chunk):
        raise OSError("disk full")
    monkeypatch.setattr(_PartStream, "_deflate", broken)
    with pytest.raises(WorkbookError, match="cannot write .*: disk full"):
        save(src, plan, tmp_path / "broken.xlsx")
    assert sys.getswitchinterval() == before


def test_without_threads_nothing_changes_the_interpreter():
    before = sys.getswitchinterval()
    c = _Compressor(synchronous=True)
    assert sys.getswitchinterval() == before
    done = []
    c.submit(lambda: done.append(1))
    assert done == [1]
    c.stop()
    assert sys.getswitchinterval() == before


def test_random_small_books_save_the_same_with_and_without_shortcuts(tmp_path, monkeypatch):
    """Another book (more errors, other seed): splicing and threads off give the same."""
    path = tmp_path / "book.xlsx"
    generate_book(path, lines=300, skus=15, customers=8, error_rate=0.2,
                  seed=random.Random(3).randint(1, 10_000))
    plan = app.execute(XlsxBook(path), "run", today=TODAY, now=NOW, dispatch=True,
                       write=False).plan
    fast = save(path, plan, tmp_path / "fast.xlsx")
    monkeypatch.setattr(_SheetWriter, "_splice", lambda self, *a: None)
    real = _Compressor.__init__
    monkeypatch.setattr(_Compressor, "__init__", lambda self, synchronous=False:
                        real(self, synchronous=True))
    assert save(path, plan, tmp_path / "slow.xlsx") == fast


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([0, 1, 9, 500, 70_000, 200_000]), max_size=12),
       st.sampled_from([2, 6]), st.sampled_from([1000, 1 << 20]))
def test_pieces_big_and_small_deflate_as_one_text(sizes, level, batch):
    """Big pieces go to zlib on their own, small ones joined: the same stream, CRC and size
    as the whole text compressed at once."""
    rng = random.Random(len(sizes))
    text = bytes(rng.choices(b"<c r=\"A1\"><v>0123456789</v></c>", k=sum(sizes)))
    d = _Deflater(level)
    d.batch = batch
    at = 0
    for n in sizes:
        d.write(text[at:at + n])
        at += n
    d.close()
    z = zlib.compressobj(level, zlib.DEFLATED, -15)
    assert d.data == z.compress(text) + z.flush()
    assert (d.crc, d.size) == (zlib.crc32(text), len(text))
