"""Reading with python-calamine (a native reader, the speed floor) on threads: each sheet
is scanned first (`scan`), then parsed on another thread while the caller converts and
loads the ones already parsed (`_Reading`, `_CalamineParser`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Iterator, TYPE_CHECKING

from ..port import WorkbookError
from ..raw import RawSheet
from .package import _Sheet
from .scan import _Scan, _scan_sheet

if TYPE_CHECKING:  # only annotations name it: book.py imports this module
    from .book import XlsxBook


try:  # the native fast path; absent in Pyodide, where the expat reader takes over
    import python_calamine as _calamine
except ImportError:  # pragma: no cover - exercised by forcing reader="xml" in tests
    _calamine = None


def _clean_grid(grid: list[list[Any]]) -> list[list[Any]]:
    """calamine values -> the values `raw` allows, in place: '' is empty, whole floats are
    ints (a Customer ID 1001 must not become '1001.0'), times and durations are text."""
    f, s, tm, td = float, str, dt.time, dt.timedelta
    for row in grid:
        row[:] = [(v or None) if (c := v.__class__) is s else
                  (int(v) if v.is_integer() and -1e15 < v < 1e15 else v) if c is f
                  else str(v) if c is tm or c is td else v for v in row]
    return grid


class _CalamineParser:
    """python-calamine parsing sheets on other threads while this one does Python work.

    calamine releases the GIL while it parses, so a sheet is parsed on the other core
    while this thread scans the next sheets and converts (and then loads) the ones
    already parsed: a processed 100k-line book, whose Orders, Shipments, Shipment Lines,
    Invoices and Invoice Lines are all big, reads in seconds less. A sheet is submitted
    only once its scan has passed, so calamine never sees a sheet the scan would refuse.

    `WORKERS` threads take the submitted sheets in order, each with its own workbook, and
    stop while `WORKERS` grids are parsed and not taken yet (memory stays near that of
    parsing that many sheets at once). Sheets may be taken in any order: one no thread
    has started is parsed by the caller itself, so taking never waits on a sheet that
    waits on it. Without threads (Pyodide) or with `synchronous`, every sheet is parsed
    that way.

    `close` always ends the threads and calamine's hold on the file, also when the caller
    stops early: a thread stops before its next sheet."""

    WORKERS = 2

    def __init__(self, path: Path, synchronous: bool = False):
        self.path = path
        self._wb: Any = None  # the caller's own workbook, for the sheets it parses
        self._submitted: set[str] = set()
        self._pending: list[str] = []
        self._got: dict[str, Any] = {}
        self._busy = 0
        self._stop = False
        self._threads: list = []
        self._cond: Any = None
        if not synchronous:
            try:
                import threading

                self._cond = threading.Condition()
                for k in range(self.WORKERS):
                    t = threading.Thread(target=self._work, name=f"ordersheet-read-{k}",
                                         daemon=True)
                    t.start()
                    self._threads.append(t)
            except (ImportError, RuntimeError):  # no threads here (Pyodide)
                self.close()
                self._cond, self._stop = None, False

    def _open(self) -> Any:
        try:
            return _calamine.CalamineWorkbook.from_path(str(self.path))
        except Exception as e:  # calamine's own refusal is still a refusal, not a crash
            raise WorkbookError(f"{self.path.name} cannot be read ({e})") from None

    @staticmethod
    def _parse(wb: Any, name: str) -> tuple[list[list[Any]], Any]:
        try:
            cs = wb.get_sheet_by_name(name)
            return cs.to_python(skip_empty_area=True), cs.start
        except Exception as e:
            raise WorkbookError(f"sheet {name!r} cannot be read ({e})") from None

    def _work(self) -> None:
        cond = self._cond
        wb = None
        try:
            while True:
                with cond:
                    while not self._stop and (not self._pending or
                                              self._busy >= self.WORKERS):
                        cond.wait()
                    if self._stop:
                        return
                    name = self._pending.pop(0)
                    self._busy += 1
                try:
                    if wb is None:
                        wb = self._open()
                    got: Any = self._parse(wb, name)
                except BaseException as e:  # handed to the caller by `result`
                    got = e
                with cond:
                    self._got[name] = got
                    cond.notify_all()
                del got
        finally:
            if wb is not None:
                wb.close()

    def submit(self, name: str) -> None:
        """Parse sheet `name` (its scan has passed)."""
        self._submitted.add(name)
        if self._cond is not None:
            with self._cond:
                self._pending.append(name)
                self._cond.notify_all()

    def result(self, name: str) -> tuple[list[list[Any]], Any]:
        """The grid and start (row, column; 0-based) of submitted sheet `name`, once;
        re-raises its `WorkbookError`."""
        if name not in self._submitted:
            raise KeyError(name)
        self._submitted.discard(name)
        cond = self._cond
        got: Any = None
        if cond is not None:
            with cond:
                if name in self._pending:  # no thread has started it: parse it here
                    self._pending.remove(name)
                else:
                    while name not in self._got:
                        cond.wait()
                    got = self._got.pop(name)
                    self._busy -= 1
                    cond.notify_all()
        if got is None:
            if self._wb is None:
                self._wb = self._open()
            got = self._parse(self._wb, name)
        if isinstance(got, BaseException):
            raise got
        return got

    def close(self) -> None:
        if self._threads:
            with self._cond:
                self._stop = True
                self._cond.notify_all()
            for t in self._threads:
                t.join()
            self._threads = []
        self._got, self._pending = {}, []
        if self._wb is not None:
            self._wb.close()
            self._wb = None


class _Reading(Mapping):
    """The sheets `XlsxBook.read` gives, each converted when it is first looked up.

    Every sheet is scanned when the reading opens (a refusal raises there, before
    calamine parses anything of it); calamine then parses them on other threads
    (`_CalamineParser`), so a caller that works through the sheets one at a time (`load`)
    converts and loads one while the next ones are parsed. Close it (or use it as a
    context manager) to end the threads and calamine's hold on the file."""

    def __init__(self, book: "XlsxBook", sheets: list[_Sheet]):
        self._book = book
        self._sheets = {s.name: s for s in sheets}
        self._held: dict[str, RawSheet] = {}
        self._scans: dict[str, _Scan] = {}
        self._parser: _CalamineParser | None = None
        todo = []
        for s in sheets:
            raw = book._cache.get(s.name)
            if raw is None:
                todo.append(s)
            else:
                self._held[s.name] = raw
        if not todo:
            return
        if book.reader != "calamine":
            self._held.update(book._read_xml(todo))
            return
        self._parser = _CalamineParser(book.path)
        try:
            for s in todo:
                self._scans[s.name] = _scan_sheet(book.pkg, s, book.limits)
                self._parser.submit(s.name)
        except BaseException:
            self.close()
            raise

    def __getitem__(self, name: str) -> RawSheet:
        raw = self._held.get(name)
        if raw is None:
            if name not in self._scans:
                raise KeyError(name)
            raw = self._held[name] = self._book._from_grid(
                self._sheets[name], *self._parser.result(name), self._scans.pop(name))
        return raw

    def __contains__(self, name: object) -> bool:
        return name in self._sheets

    def __iter__(self) -> Iterator[str]:
        return iter(self._sheets)

    def __len__(self) -> int:
        return len(self._sheets)

    def close(self) -> None:
        if self._parser is not None:
            self._parser.close()
            self._parser = None

    def __enter__(self) -> "_Reading":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
