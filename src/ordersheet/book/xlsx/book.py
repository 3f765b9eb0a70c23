"""`XlsxBook`, the xlsx engine's `WorkbookPort`: opens and checks the package, hands out
the sheets (`read`, `reading`), buffers write plans and saves them
atomically (`save`, through `save._Build` and `files.atomic_write`)."""

from __future__ import annotations

import gc
import posixpath
import re
import weakref
from pathlib import Path
from typing import Any

from .. import plan as p
from ..files import atomic_write, check_not_open
from ..port import WorkbookError, WorkbookPort
from ..raw import CellError, RawSheet, block_from_grid, keep_whole_grid, split_a1
from .cells import _blank
from .edits import _Edit, _Src
from .limits import (DEFAULT_LIMITS, Limits, _mb, forbid_dtd_prolog, inspect_zip_infos,
                     parse_xml)
from .ooxml import NS_R, STRICT_MAIN
from .package import _Package, _Sheet, _Table, _parse_rels, _table_of
from .read_calamine import _Reading, _calamine, _clean_grid
from .read_xml import _XmlReader, _grid_from_sparse
from .save import _Build
from .scan import _Scan
from .styles import _Styles
from .xmltext import _trusted


engine_name = "xlsx"


def _merged_right(refs: list[str]) -> int:
    """The rightmost column merged cells reach (a note merged across M1:O3 ends at O):
    new columns go right of it, never into a merge."""
    right = 0
    for ref in refs:
        try:
            right = max(right, split_a1(ref.partition(":")[2] or ref)[1])
        except ValueError:
            continue
    return right


def _rows_under(cell, last: int, bottom: int, c1: int, c2: int) -> int:
    """How many rows directly under a table's last row hold something in its columns."""
    r = last + 1
    while r <= bottom and any(not _blank(cell(r, c)) for c in range(c1, c2 + 1)):
        r += 1
    return r - 1 - last


def _window(grid: list[list[Any]], r0: int, c0: int, first_row: int, last_row: int,
            first_col: int, last_col: int) -> list[list[Any]]:
    """Rows first_row..last_row by columns first_col..last_col (Excel, inclusive) of a grid
    whose top-left cell is (r0, c0), None outside it. A grid row that is exactly the
    window's width is shared, not copied."""
    width = max(last_col - first_col + 1, 0)
    lo = first_col - c0
    left = [None] * min(-lo, width) if lo < 0 else []
    out = []
    for i in range(first_row - r0, last_row - r0 + 1):
        row = grid[i] if 0 <= i < len(grid) else []
        if lo == 0 and len(row) == width:
            out.append(row)
            continue
        piece = left + row[max(lo, 0):max(lo + width, 0)]
        if len(piece) < width:
            piece += [None] * (width - len(piece))
        out.append(piece)
    return out


class _SheetCache(weakref.WeakValueDictionary):
    """The sheets `read` returned, for as long as the caller keeps them: the port must not
    hold a 100,000-row grid for the whole run once the book is loaded. Each sheet's header
    row outlives it (appending under a block needs only that)."""

    def __init__(self) -> None:
        super().__init__()
        self.header_row: dict[str, int] = {}

    def __setitem__(self, name: str, raw: RawSheet) -> None:
        super().__setitem__(name, raw)
        self.header_row[name] = raw.header_row

    def clear(self) -> None:
        super().clear()
        self.header_row.clear()


class XlsxBook(WorkbookPort):
    """An .xlsx order book on disk (the CLI's engine). See the package docstring."""

    engine_name = engine_name

    def __init__(self, path: str | Path, limits: Limits = DEFAULT_LIMITS,
                 reader: str = "auto"):
        self.path = Path(path)
        self.limits = limits
        if reader not in ("auto", "calamine", "xml"):
            raise ValueError(f"unknown reader {reader!r}")
        if reader == "calamine" and _calamine is None:
            raise WorkbookError("python-calamine is not installed")
        self.reader = "calamine" if reader != "xml" and _calamine is not None else "xml"
        self._ops: list[p.Op] = []
        self._activate: str | None = None
        self._cache = _SheetCache()
        self._header_rows: dict[str, dict[int, dict[int, Any]]] = {}
        self.grown_tables: dict[str, int] = {}
        """sheet -> the last row of rows typed under its table, read as the table's: the
        save extends the table over them, as Excel does when one types under a table."""
        self._open()

    # -- opening: everything here is small and checked --
    def _open(self) -> None:
        name = self.path.name
        pkg = self.pkg = _Package(self.path, self.limits)
        inspect_zip_infos(pkg.infos, name, self.limits)
        ct_name = pkg.find("[Content_Types].xml")
        root_rels = pkg.find("_rels/.rels")
        if ct_name is None or root_rels is None:
            raise WorkbookError(f"{name} is not an .xlsx workbook (no package manifest)")
        self.content_types = pkg.read(ct_name)
        ct_root = parse_xml(self.content_types, f"{name} content types")
        self._ct_defaults = {el.get("Extension", "").lower(): el.get("ContentType", "")
                             for el in ct_root if el.tag.endswith("Default")}
        self._ct_overrides = {el.get("PartName", "").lstrip("/").lower():
                              el.get("ContentType", "")
                              for el in ct_root if el.tag.endswith("Override")}
        rels = _parse_rels(pkg.read(root_rels), "", f"{name} package relationships")
        doc = next((r for r in rels if r.type.endswith("/officeDocument")
                    and not r.external), None)
        if doc is None or pkg.find(doc.target) is None:
            raise WorkbookError(f"{name} is not an Excel workbook (no workbook part)")
        if "purl.oclc.org" in doc.type:
            raise WorkbookError(f"{name} is saved as Strict Open XML: save it as an ordinary "
                                "Excel Workbook (.xlsx) and run again")
        self.wb_path = pkg.find(doc.target)
        ct = self._content_type(self.wb_path)
        if "spreadsheetml" not in ct and "ms-excel" not in ct:
            raise WorkbookError(f"{name} is not an Excel workbook ({ct or 'unknown content'})")
        if ct.endswith(".main") or "binary" in ct:  # xlsb
            raise WorkbookError(f"{name} is a binary workbook (.xlsb): save it as .xlsx")
        self.wb_xml = _trusted(pkg.read(self.wb_path), f"{name} workbook")
        wb_root = parse_xml(self.wb_xml, f"{name} workbook")
        if STRICT_MAIN in wb_root.tag:
            raise WorkbookError(f"{name} is saved as Strict Open XML: save it as an ordinary "
                                "Excel Workbook (.xlsx) and run again")
        self.wb_rels_path = posixpath.join(posixpath.dirname(self.wb_path), "_rels",
                                           posixpath.basename(self.wb_path) + ".rels")
        real = pkg.find(self.wb_rels_path)
        if real is None:
            raise WorkbookError(f"{name}: the workbook has no relationships part")
        self.wb_rels_path = real
        self.wb_rels_xml = _trusted(pkg.read(real), f"{name} workbook relationships")
        self.wb_rels = _parse_rels(self.wb_rels_xml, self.wb_path,
                                   f"{name} workbook relationships")
        by_id = {r.id: r for r in self.wb_rels}
        pr = next((el for el in wb_root if el.tag.endswith("}workbookPr")), None)
        self.date1904 = pr is not None and pr.get("date1904", "0") in ("1", "true")
        self.sheets: list[_Sheet] = []
        sheets_el = next((el for el in wb_root if el.tag.endswith("}sheets")), None)
        for el in (sheets_el if sheets_el is not None else []):
            rid = el.get(f"{{{NS_R}}}id", "")
            rel = by_id.get(rid)
            kind = rel.type.rsplit("/", 1)[-1] if rel else "missing"
            path = pkg.find(rel.target) if rel and not rel.external else None
            try:
                sid = int(el.get("sheetId", "0"))
            except ValueError:
                sid = 0
            self.sheets.append(_Sheet(el.get("name", ""), sid, rid, el.get("state"),
                                      path, kind))
        if not self.sheets:
            raise WorkbookError(f"{name}: the workbook has no sheets")
        sst = next((r for r in self.wb_rels if r.type.endswith("/sharedStrings")), None)
        self.sst_path = pkg.find(sst.target) if sst else None
        sty = next((r for r in self.wb_rels if r.type.endswith("/styles")), None)
        self.styles_path = pkg.find(sty.target) if sty else None
        if self.sst_path:
            info = pkg.info(self.sst_path)
            if info.file_size > self.limits.max_shared_strings_bytes:
                raise WorkbookError(
                    f"{name}: its shared strings unpack to {_mb(info.file_size)} "
                    f"(limit {_mb(self.limits.max_shared_strings_bytes)}): refused")
            head = pkg.read_head(self.sst_path, 4096)
            forbid_dtd_prolog(head, f"{name} shared strings")
            m = re.search(rb"""uniqueCount=["'](\d+)""", head) or \
                re.search(rb"""\scount=["'](\d+)""", head)
            if m and int(m.group(1)) > self.limits.max_shared_strings_count:
                raise WorkbookError(
                    f"{name}: it declares {int(m.group(1)):,} shared strings (limit "
                    f"{self.limits.max_shared_strings_count:,}): refused")
            # the body is inflated once under the cap before any parser sees it
            for _ in pkg.iter(self.sst_path):
                pass
        styles_raw = pkg.read(self.styles_path) if self.styles_path else None
        self.styles_xml = _trusted(styles_raw, f"{name} styles") if styles_raw else None
        if self.styles_xml:
            parse_xml(self.styles_xml, f"{name} styles")
        self.table_names: set[str] = set()
        self.max_table_id = 0
        for sh in self.sheets:
            if sh.kind != "worksheet" or sh.path is None:
                continue
            rp = pkg.find(sh.rels_path)
            if rp:
                sh.rels = _parse_rels(pkg.read(rp), sh.path, f"relationships of {sh.name!r}")
            for rel in sh.rels:
                if rel.type.endswith("/table") and not rel.external and pkg.find(rel.target):
                    sh.tables.append(self._parse_table(pkg.find(rel.target), rel.id))
            for t in sh.tables:
                self.table_names.add(t.display.lower())
                self.max_table_id = max(self.max_table_id, t.id)
        self._defined_names = {el.get("name", "").lower() for el in wb_root.iter()
                               if el.tag.endswith("}definedName")}

    def _content_type(self, part: str) -> str:
        ct = self._ct_overrides.get(part.lower())
        if ct:
            return ct
        return self._ct_defaults.get(part.rsplit(".", 1)[-1].lower(), "")

    def _parse_table(self, path: str, rid: str) -> _Table:
        data = self.pkg.read(path)
        root = parse_xml(data, f"table {path}")
        cols_el = next((el for el in root if el.tag.endswith("}tableColumns")), None)
        cols = [c.get("name", "") for c in (cols_el if cols_el is not None else [])]

        def num(key: str, default: int) -> int:
            try:
                return int(root.get(key, default))
            except ValueError:
                return default
        return _Table(path, rid, num("id", 0), root.get("name", ""),
                      root.get("displayName", root.get("name", "")), root.get("ref", "A1"),
                      num("headerRowCount", 1), num("totalsRowCount", 0), cols)

    # -- the port --
    def sheet_names(self) -> list[str]:
        return [s.name for s in self.sheets]

    def _sheet(self, name: str) -> _Sheet | None:
        return next((s for s in self.sheets if s.name == name), None)

    def read(self, names: list[str] | None = None) -> dict[str, RawSheet]:
        """Each worksheet's data block: its first Excel Table, else the block under the
        first non-empty row. Values are those `raw` allows; formulas give their cached
        value; error cells are `CellError`. `extra` carries hidden rows and merged ranges."""
        with self.reading(names) as sheets:
            return {name: sheets[name] for name in sheets}

    def reading(self, names: list[str] | None = None) -> _Reading:
        """`read`'s sheets as a mapping that converts each on first look-up while the
        others are parsed on other threads (see `_Reading`); close it when done."""
        return _Reading(self, [s for s in self.sheets if s.kind == "worksheet" and s.path
                               and (names is None or s.name in names)])

    def _from_grid(self, s: _Sheet, grid: list[list[Any]], start: Any,
                   scan: _Scan) -> RawSheet:
        """The `RawSheet` of a grid calamine parsed (`start`: its first cell, 0-based),
        with the error cells the scan found put in."""
        _clean_grid(grid)
        r0, c0 = (start[0] + 1, start[1] + 1) if start and grid else (1, 1)
        for (r, c), text in scan.errors.items():
            i, j = r - r0, c - c0
            if i >= 0 and j >= 0:
                while len(grid) <= i:
                    grid.append([])
                row = grid[i]
                if len(row) <= j:
                    row.extend([None] * (j + 1 - len(row)))
                row[j] = CellError(text)
        last = max((c0 + len(r) - 1 for r in grid), default=0)
        return self._store(s, grid, r0, c0, last, scan)

    def _read_xml(self, sheets: list[_Sheet]) -> dict[str, RawSheet]:
        reader = _XmlReader(self.pkg, self._styles(), self.sst_path, self.date1904,
                            self.limits)
        out: dict[str, RawSheet] = {}
        for s in sheets:
            rows, scan = reader.read_sheet(s)
            grid, r0, c0, c1 = _grid_from_sparse(rows, s.name, self.limits)
            del rows
            scan.hidden_rows = sorted(set(scan.hidden_rows))
            out[s.name] = self._store(s, grid, r0, c0, c1, scan)
            del grid
        return out

    def _store(self, s: _Sheet, grid: list[list[Any]], r0: int, c0: int, last_col: int,
               scan: _Scan) -> RawSheet:
        def cell(r: int, c: int) -> Any:
            i, j = r - r0, c - c0
            if 0 <= i < len(grid) and 0 <= j < len(grid[i]):
                return grid[i][j]
            return None

        table, (tr1, tc1, tr2, tc2) = _table_of(s)
        if table is not None:
            first_data = tr1 + (1 if table.header_rows else 0)
            last_data = tr2 - table.totals_rows
            below = _rows_under(cell, tr2, r0 + len(grid) - 1, tc1, tc2) \
                if not table.totals_rows else 0
            if below:
                last_data += below
                self.grown_tables[s.name] = last_data
            # Cells outside the grid are empty: rows below it would be dropped as trailing
            # and columns right of it cut by the header, so neither is made.
            right = c0 + max(map(len, grid), default=0) - 1
            body = _window(grid, r0, c0, first_data, min(last_data, r0 + len(grid) - 1),
                           tc1, min(tc2, right))
            if table.header_rows:
                header = [cell(tr1, c) for c in range(tc1, tc2 + 1)]
                for j, name in enumerate(table.columns[:len(header)]):
                    if header[j] is None:
                        header[j] = name
                raw = block_from_grid(s.name, [header] + body, tr1, tc1, table.display)
            else:
                raw = block_from_grid(s.name, [list(table.columns)] + body, tr1 - 1, tc1,
                                      table.display)
            self._header_rows[s.name] = {tr1: {c: cell(tr1, c) for c in range(
                tc1, max(tc2, last_col) + 2)}}
        else:
            raw = keep_whole_grid(block_from_grid(s.name, grid, r0, c0), grid)
        raw.last_col = max(raw.last_col, last_col)
        if s.name in self.grown_tables and table is not None:
            raw.extra["table_grown"] = (table.display, tr2 + 1, self.grown_tables[s.name])
        if scan.hidden_rows:
            raw.extra["hidden_rows"] = scan.hidden_rows
        if scan.merged:
            raw.extra["merged"] = scan.merged
            raw.last_col = max(raw.last_col, _merged_right(scan.merged))
        if scan.formulas:
            raw.extra["formulas"] = scan.formulas
        self._cache[s.name] = raw
        return raw

    def _styles(self) -> _Styles:
        return _Styles(self.styles_xml)

    # -- writing --
    def apply(self, plan: p.WritePlan) -> None:
        """Buffer the plan; `save` writes it (one pass per sheet)."""
        for op in plan.ops:
            if not isinstance(op, (p.ReplaceSheet, p.AppendRows, p.UpdateColumns, p.SetCells,
                                   p.MarkCells, p.AddCharts, p.ListValidation)):
                raise TypeError(f"unknown plan operation {op!r}")
        self._ops.extend(plan.ops)
        if plan.activate:
            self._activate = plan.activate

    def save(self, dest: str | Path | None = None) -> None:
        """Write the buffered plan: `dest` None edits the book in place (keeping
        `BOOK.xlsx.bak`), else writes a new file. Atomic either way."""
        target = Path(dest) if dest else self.path
        in_place = target.resolve() == self.path.resolve()
        if in_place:
            target = target.resolve()  # a symlinked book: replace the file, keep the link
            if not self._ops and not self._activate:
                return
        check_not_open(target)
        try:
            st = self.path.stat()
        except FileNotFoundError:
            raise WorkbookError(f"{self.path.name} was removed while ordersheet ran") from None
        if (st.st_size, st.st_mtime_ns, getattr(st, "st_ino", 0)) != self.pkg.identity:
            raise WorkbookError(f"{self.path.name} changed on disk after ordersheet read it: "
                                "run again")
        build = _Build(self, self._ops, self._activate)
        # Writing makes no reference cycles, but allocates enough to set off the cycle
        # collector, which would rescan a big run's records (hundreds of thousands,
        # alive until the command ends) again and again to free nothing.
        collecting = gc.isenabled()
        gc.disable()
        try:
            atomic_write(target, build.write, backup=in_place)
        finally:
            if collecting:
                gc.enable()
        self._ops = []
        self._activate = None
        if in_place:
            self._cache.clear()
            self._header_rows.clear()
            self.grown_tables.clear()
            self._open()

    def _header_row(self, name: str) -> int:
        """Where a sheet's header is, for appending under its data."""
        sheet = self._sheet(name)
        if sheet is not None and sheet.tables:
            try:
                return split_a1(sheet.tables[0].ref.partition(":")[0])[0]
            except ValueError:
                pass
        if sheet is None or sheet.kind != "worksheet":
            return 1
        return self._cache.header_row.get(name) or self.read([name])[name].header_row

    def _header_cells(self, name: str, row: int) -> dict[int, Any]:
        if name not in self._header_rows:
            self.read([name])
        return self._header_rows.get(name, {}).get(row, {})

    def _plan_table_extension(self, sheet: _Sheet, op: p.UpdateColumns, e: _Edit,
                              heads: _Src, forced: _Src) -> None:
        """Tool columns just right of the user's Excel Table join it (a Table stays valid:
        each column named, names unique, header cells equal to the names)."""
        t = next((t for t in sheet.tables if t.display.lower() == op.table.lower()), None)
        if t is None or not t.header_rows:
            return
        try:
            a, _, b = t.ref.partition(":")
            (r1, c1), (r2, c2) = split_a1(a), split_a1(b or a)
        except ValueError:
            return
        if op.header_row != r1:
            return
        by_col = {c: h for c, h, _v, _f in op.columns}
        right = c2
        while right + 1 in by_col:
            right += 1
        if right == c2:
            return
        for other in sheet.tables:
            if other is t:
                continue
            try:
                oa, _, ob = other.ref.partition(":")
                (or1, oc1), (or2, oc2) = split_a1(oa), split_a1(ob or oa)
            except ValueError:
                continue
            if or1 <= r2 and r1 <= or2 and oc1 <= right and c2 + 1 <= oc2:
                return  # the columns belong to another table's area
        cells = self._header_cells(sheet.name, r1)
        seen = {c.lower() for c in t.columns}
        names = []
        for c in range(c2 + 1, right + 1):
            cur = cells.get(c)
            if not _blank(cur):
                name = str(cur)
                if name.lower() in seen:
                    return  # would need renaming the user's header: leave the table
            else:
                base = str(by_col[c]).strip() or f"Column{c - c1 + 1}"
                name, k = base, 2
                while name.lower() in seen:
                    name = f"{base}{k}"
                    k += 1
                forced.cells.setdefault(r1, {})[c] = (name, None)
            seen.add(name.lower())
            names.append(name)
        e.table_right[t.display.lower()] = (right, names)
