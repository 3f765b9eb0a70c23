"""The issue-9 harness: ordersheet against the floor and the baseline, side by side, in one
process and one run.

For each size it generates (or reuses, from `benchmarks/.cache/`) an order book and
measures, in this order:

- floor: python-calamine reading the Orders sheet (the speed floor: parsing the XML at
  all), and reading every sheet (what a full read costs at best);
- baseline: openpyxl normal-mode load + save of the whole book;
- ordersheet read: `app.read_book(cli.open_book(book))`, the CLI's engine;
- ordersheet domain: `pipeline.run` on the already-loaded OrderBook, per operation
  (validate, price, reserve, ship, invoice, each including the steps before it) and the
  whole `run` with dispatch;
- ordersheet end to end, in process: `cli.run_operation(book, "run", ..., dispatch=True)`
  on a copy, with its phases (engine open, read, domain, render, apply, save) timed by
  wrapping the functions it calls;
- ordersheet end to end again, in process: the same command on the book the first run
  wrote (Shipments, Invoices, Invoice Lines, Stock Ledger ... now full, Orders twice as
  wide), as users run it day after day, with its phases;
- ordersheet end to end, as a command: `python -m ordersheet.cli run COPY --dispatch
  --output OUT` in a subprocess, wall time and its peak RSS (`os.wait4` rusage of that one
  child, `/usr/bin/time -f %M` when present, and RUSAGE_CHILDREN for the whole run).

Memory per in-process step is the process's RSS high-water mark during the step (Linux:
reset through /proc/self/clear_refs, read from VmHWM; elsewhere ru_maxrss, which only
grows) and, in a second untimed pass, tracemalloc's peak of Python allocations for the
ordersheet read and domain steps (tracemalloc slows Python code, so it never runs while
timing).

Then the ratios issue 9 sets targets for, the growth per doubling of lines, and the Excel
route: the number of xlwings remote-engine actions `ordersheet.excel.process_orders`
queues for a 20-line and a 10,000-line book with the same flagged cells (equal is the
target; see `excel_route`).

    python -m benchmarks.harness [--lines 10000 50000 100000] [--quick]

The table is printed and written as JSON to benchmarks/results/latest.json.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import io
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import tracemalloc
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

# The remote engine lives in xlwings.pro; the project's noncommercial key enables it. It
# must be set before anything imports xlwings.
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

from .generate import generate_book  # noqa: E402

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
RESULTS = HERE / "results"
TODAY = dt.date(2026, 11, 20)
NOW = dt.datetime.combine(TODAY, dt.time(12, 0))
DEFAULT_LINES = (10_000, 50_000, 100_000)
GENERATOR_VERSION = 3  # 3: every country has a shipping tax row (issue 19)
"""Bump when generate.py changes what it writes, so cached books are rebuilt."""

TARGETS = {
    "domain_vs_floor": ("<=", 1.0, "all domain steps / calamine read of Orders"),
    "e2e_vs_openpyxl": ("<=", 0.25, "ordersheet run --dispatch / openpyxl load + save"),
    "cli_vs_openpyxl": ("<=", 0.25, "same, as a command (interpreter start included)"),
    "cli_peak_mb": ("<=", 600.0, "peak RSS of `ordersheet run --dispatch` (MB)"),
    "growth": ("<=", 2.0, "time multiplier per doubling of lines"),
}

# Row names (stable: the README, the JSON and the smoke test use them).
CALAMINE_ORDERS = "calamine read Orders"
CALAMINE_ALL = "calamine read all sheets"
OPENPYXL = "openpyxl load + save"
READ = "ordersheet read (engine + read_book)"
DOMAIN_OPS = ("validate", "price", "reserve", "ship", "invoice")
DOMAIN_RUN = "domain run --dispatch"
E2E = "ordersheet run --dispatch (in process)"
E2E_SECOND = "ordersheet run --dispatch, second run (in process)"
CLI = "ordersheet run --dispatch (command)"
PDF_DOCS = 200
PDFS = f"PDFs of the first {PDF_DOCS} invoices"
PHASES = ("open engine", "read_book", "pipeline.run", "render", "apply", "save")
ROW_NAMES = ((CALAMINE_ORDERS, CALAMINE_ALL, OPENPYXL, READ)
             + tuple(f"domain {op}" for op in DOMAIN_OPS) + (DOMAIN_RUN, PDFS, E2E)
             + tuple(f"  e2e: {ph}" for ph in PHASES) + (E2E_SECOND,)
             + tuple(f"  2nd run: {ph}" for ph in PHASES) + (CLI,))


@dataclass
class Row:
    lines: int
    name: str
    group: str
    """floor / baseline / ordersheet / domain / phase"""
    seconds: float | None = None
    rss_peak_mb: float | None = None
    """Process RSS high-water mark during the step."""
    rss_delta_mb: float | None = None
    """That high-water mark minus the RSS before the step."""
    tracemalloc_mb: float | None = None
    child_maxrss_mb: float | None = None
    """Subprocess only: ru_maxrss of that child (os.wait4)."""
    time_maxrss_mb: float | None = None
    """Subprocess only: /usr/bin/time %M."""
    children_maxrss_mb: float | None = None
    """Subprocess only: RUSAGE_CHILDREN ru_maxrss (largest child of this harness so far)."""
    runs: int = 0
    note: str = ""
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    """Extra facts for the JSON (the domain run: line status counts)."""

    @property
    def rows_per_s(self) -> float | None:
        return self.lines / self.seconds if self.seconds else None

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["rows_per_s"] = self.rows_per_s
        return d


# ---- memory probes ----------------------------------------------------------------------


def _status_kb(field_name: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _maxrss_mb(who: int = resource.RUSAGE_SELF) -> float:
    kb = resource.getrusage(who).ru_maxrss
    return kb / 1024 / (1024 if sys.platform == "darwin" else 1)  # macOS reports bytes


def _reset_peak() -> bool:
    """Reset the RSS high-water mark (Linux >= 4.0); False where it cannot be reset."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _rss_mb() -> float | None:
    kb = _status_kb("VmRSS")
    return kb / 1024 if kb is not None else None


def _peak_mb() -> float:
    kb = _status_kb("VmHWM")
    return kb / 1024 if kb is not None else _maxrss_mb()


@dataclass
class _Probe:
    seconds: float = 0.0
    peak_mb: float | None = None
    delta_mb: float | None = None


@contextlib.contextmanager
def probe() -> Iterator[_Probe]:
    """Wall time (perf_counter) and RSS high-water mark of the block."""
    p = _Probe()
    gc.collect()
    _reset_peak()
    before = _rss_mb()
    t0 = time.perf_counter()
    try:
        yield p
    finally:
        p.seconds = time.perf_counter() - t0
        p.peak_mb = _peak_mb()
        p.delta_mb = p.peak_mb - before if before is not None else None


def traced_peak_mb(fn: Callable[[], Any]) -> float:
    """Peak of Python allocations while `fn` runs (slow: never used for timing)."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def measure(row: Row, fn: Callable[[], Any], *, repeat: int = 1, budget: float = 3.0,
            traced: bool = False) -> Any:
    """Run `fn` and fill `row`: best time of up to `repeat` runs (more runs only while the
    total stays under `budget` seconds), the peak RSS of the first, and optionally a
    tracemalloc pass. A failure is recorded on the row, never raised."""
    result = None
    try:
        best = math.inf
        spent = 0.0
        for i in range(max(1, repeat)):
            if i and spent + best > budget:
                break
            with probe() as p:
                result = fn()
            if i == 0:
                row.rss_peak_mb, row.rss_delta_mb = p.peak_mb, p.delta_mb
            best = min(best, p.seconds)
            spent += p.seconds
            row.runs = i + 1
        row.seconds = best
        if traced:
            row.tracemalloc_mb = traced_peak_mb(fn)
    except Exception as e:  # a broken engine must not stop the other measurements
        row.error = f"{type(e).__name__}: {e}"
        frames = traceback.extract_tb(e.__traceback__)
        if frames:
            row.note = f"at {Path(frames[-1].filename).name}:{frames[-1].lineno}"
    return result


# ---- books ----------------------------------------------------------------------------


def book_for(lines: int, cache: Path = CACHE, **gen: Any) -> Path:
    """The cached book for these generator arguments (generated on first use)."""
    params = {"skus": 2_000, "customers": 500, "warehouses": 3, "error_rate": 0.01, "seed": 1,
              "tables": False, **gen}
    tag = "-".join(f"{k}{v}" for k, v in sorted(params.items()))
    path = cache / f"book-{lines}-{tag}-v{GENERATOR_VERSION}.xlsx"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.xlsx")
        t0 = time.perf_counter()
        generate_book(tmp, lines=lines, today=TODAY, **params)
        tmp.replace(path)
        print(f"generated {path.name} ({path.stat().st_size / 1e6:.1f} MB) in "
              f"{time.perf_counter() - t0:.1f} s", flush=True)
    return path


def _copy(book: Path, workdir: Path, name: str) -> Path:
    target = workdir / name
    shutil.copyfile(book, target)
    return target


# ---- the measurements -------------------------------------------------------------------


def measure_floor(book: Path, lines: int, quick: bool = False) -> list[Row]:
    from python_calamine import CalamineWorkbook

    def orders():
        return CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Orders").to_python()

    def every_sheet():
        wb = CalamineWorkbook.from_path(str(book))
        return [wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names]

    a = Row(lines, CALAMINE_ORDERS, "floor")
    measure(a, orders, repeat=1 if quick else 3)
    b = Row(lines, CALAMINE_ALL, "floor")
    measure(b, every_sheet, repeat=1 if quick else 3)
    return [a, b]


def measure_openpyxl(book: Path, lines: int, workdir: Path) -> Row:
    import openpyxl

    out = workdir / "openpyxl-out.xlsx"

    def load_save():
        wb = openpyxl.load_workbook(book)
        wb.save(out)

    row = Row(lines, OPENPYXL, "baseline")
    measure(row, load_save)
    return row


def measure_read(book: Path, lines: int, quick: bool = False) -> tuple[Row, Any]:
    from ordersheet import app, cli

    row = Row(lines, READ, "ordersheet")
    loaded = measure(row, lambda: app.read_book(cli.open_book(book)), traced=not quick)
    row.note = f"{engine_name()} {row.note}".strip()
    return row, loaded


def measure_domain(loaded: Any, lines: int, quick: bool = False) -> tuple[list[Row], Any]:
    """`pipeline.run` per operation on the already-loaded book (no I/O), with the cycle
    collector paused as `app.execute` runs it."""
    from ordersheet import app
    from ordersheet.domain import pipeline

    def run(op: str, dispatch: bool) -> Callable[[], Any]:
        def go():
            with app.cycle_collector_paused():
                return pipeline.run(loaded.book, operation=op, today=TODAY, now=NOW,
                                    user="benchmark", dispatch=dispatch,
                                    bad_rows=loaded.bad_order_rows,
                                    prior_issues=loaded.issues)
        return go

    rows = []
    previous = 0.0
    for op in DOMAIN_OPS:
        row = Row(lines, f"domain {op}", "domain")
        measure(row, run(op, False), repeat=1 if quick else 3)
        if row.seconds is not None:
            row.note = f"step alone ≈ {row.seconds - previous:+.3f} s"
            previous = row.seconds
        rows.append(row)
    row = Row(lines, DOMAIN_RUN, "domain")
    # The row a target is read from gets its three samples at every size (the usual 3 s
    # budget leaves one at 100k, and one sample swings with whatever else the machine does).
    result = measure(row, run("run", True), repeat=1 if quick else 3, budget=60.0,
                     traced=not quick)
    if result is not None:
        counts = result.status_counts()
        total = sum(counts.values()) or 1
        served = sum(n for s, n in counts.items()
                     if s in ("Invoiced", "Shipped", "Partially Shipped", "Reserved",
                              "Partially Reserved"))
        row.note = f"{served / total:.0%} of lines reserved or beyond"
        row.details["status_counts"] = dict(sorted(counts.items(), key=lambda kv: -kv[1]))
        row.details["issues"] = len(result.issues)
    rows.append(row)
    return rows, result


def measure_pdfs(state: Any, lines: int, workdir: Path, docs: int = PDF_DOCS) -> Row:
    """`app.write_pdfs` of the first `docs` invoices of the domain run into a folder, in
    this process as `ordersheet pdf` does it: once, so the per-process font set-up is in
    the time. The note gives documents per second (`rows/s` counts order lines)."""
    from ordersheet import app

    row = Row(lines, PDFS, "ordersheet")
    if state is None:
        row.error = "the domain run failed"
        return row
    ids = [i.invoice_no for i in state.invoices][:docs]
    folder = workdir / "pdfs"
    written = measure(row, lambda: app.write_pdfs(state, ids, folder))
    if row.seconds and written is not None:
        row.details = {"documents": len(written.written), "issues": len(written.issues),
                       "documents_per_s": len(written.written) / row.seconds}
        row.note = f"{len(written.written)} PDFs, {len(written.written) / row.seconds:.1f}/s"
    return row


@contextlib.contextmanager
def _timed_phases(phases: dict[str, float]) -> Iterator[None]:
    """Wrap what `cli.run_operation` calls so one end-to-end run also yields its phases."""
    from ordersheet import app, cli
    from ordersheet.domain import pipeline

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*a: Any, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                phases[name] = phases.get(name, 0.0) + time.perf_counter() - t0
        return wrapper

    real_open = cli.open_book

    def open_book(path: Path) -> Any:
        port = timed("open engine", real_open)(path)
        for method, name in (("apply", "apply"), ("save", "save")):
            with contextlib.suppress(AttributeError, TypeError):
                setattr(port, method, timed(name, getattr(port, method)))
        return port

    saved = [(cli, "open_book", cli.open_book), (app, "read_book", app.read_book),
             (pipeline, "run", pipeline.run), (app, "render", app.render)]
    cli.open_book = open_book
    app.read_book = timed("read_book", app.read_book)
    pipeline.run = timed("pipeline.run", pipeline.run)
    app.render = timed("render", app.render)
    try:
        yield
    finally:
        for module, name, fn in saved:
            setattr(module, name, fn)


def measure_e2e(book: Path, lines: int, workdir: Path, *, name: str = E2E,
                prefix: str = "  e2e: ", tag: str = "e2e") -> list[Row]:
    """`cli.run_operation(book copy, "run", dispatch=True)` and its phases; the output is
    `workdir / f"{tag}-out.xlsx"`."""
    from ordersheet import cli

    copy = _copy(book, workdir, f"{tag}-in.xlsx")
    out = workdir / f"{tag}-out.xlsx"
    phases: dict[str, float] = {}
    row = Row(lines, name, "ordersheet", note=engine_name())

    def run():
        with _timed_phases(phases):
            code, _ = cli.run_operation(copy, "run", TODAY.isoformat(), out, as_json=False,
                                        dispatch=True, quiet=True)
        if not out.exists():
            raise RuntimeError(f"exit {code} and no output written")

    measure(row, run)
    rows = [row]
    for ph in PHASES:
        rows.append(Row(lines, f"{prefix}{ph}", "phase", seconds=phases.get(ph),
                        runs=1 if ph in phases else 0,
                        error=None if ph in phases else "not called"))
    return rows


def measure_e2e_second(lines: int, workdir: Path) -> list[Row]:
    """The same run on the book the first end-to-end run wrote: what every later day costs
    (the book now holds a year of shipments, invoices and ledger rows)."""
    first = workdir / "e2e-out.xlsx"
    if not first.exists():
        return ([Row(lines, E2E_SECOND, "ordersheet", error="the first run wrote nothing")]
                + [Row(lines, f"  2nd run: {ph}", "phase", error="not run") for ph in PHASES])
    return measure_e2e(first, lines, workdir, name=E2E_SECOND, prefix="  2nd run: ",
                       tag="e2e2")


# A child inherits its parent's RSS high-water mark through fork/exec (Linux folds the old
# address space's peak into the new process's ru_maxrss), so a child of this big harness
# would report the harness's peak. The command is therefore started by this small
# launcher, which times it and reports that grandchild's own ru_maxrss (os.wait4).
_LAUNCHER = """
import json, os, subprocess, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
with open(out + ".log", "wb") as log:
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    _, status, ru = os.wait4(p.pid, 0)
    took = time.perf_counter() - t0
json.dump({"seconds": took, "maxrss_kb": ru.ru_maxrss,
           "returncode": os.waitstatus_to_exitcode(status)}, open(out, "w"))
"""


def measure_cli(book: Path, lines: int, workdir: Path) -> Row:
    """The command in a (grand)child process: wall time and its peak RSS."""
    copy = _copy(book, workdir, "cli-in.xlsx")
    out = workdir / "cli-out.xlsx"
    cmd = [sys.executable, "-m", "ordersheet.cli", "run", str(copy), "--dispatch",
           "--output", str(out), "--today", TODAY.isoformat()]
    timefile = workdir / "time.txt"
    gnu_time = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    if gnu_time:
        cmd = [gnu_time, "-f", "%M %e", "-o", str(timefile)] + cmd
    report = workdir / "cli.json"
    row = Row(lines, CLI, "ordersheet", note=engine_name())
    try:
        subprocess.run([sys.executable, "-c", _LAUNCHER, str(report)] + cmd, check=True,
                       cwd=workdir, env={**os.environ, "COLUMNS": "100"})
        got = json.loads(report.read_text())
        row.seconds, row.runs = got["seconds"], 1
        row.child_maxrss_mb = got["maxrss_kb"] / 1024
        row.children_maxrss_mb = _maxrss_mb(resource.RUSAGE_CHILDREN)
        if gnu_time and timefile.exists():
            fields = timefile.read_text().split()
            with contextlib.suppress(ValueError, IndexError):
                row.time_maxrss_mb = int(fields[-2]) / 1024
        if got["returncode"] not in (0, 1) or not out.exists():
            log = Path(str(report) + ".log").read_text(errors="replace")
            tail = log.strip().splitlines()[-1:] or [""]
            row.error = f"exit {got['returncode']}: {tail[0][:200]}"
    except (OSError, subprocess.CalledProcessError, ValueError, KeyError) as e:
        row.error = f"{type(e).__name__}: {e}"
    return row


def engine_name() -> str:
    forced = os.environ.get("ORDERSHEET_ENGINE")
    if forced == "openpyxl":
        return "engine: openpyxl (forced)"
    try:
        from ordersheet.book.xlsx import XlsxBook  # noqa: F401
    except ImportError:
        return "engine: openpyxl"
    return "engine: xlsx"


def measure_size(lines: int, *, quick: bool = False, workdir: Path | None = None,
                 book: Path | None = None, skip: Sequence[str] = ()) -> list[Row]:
    """Every row of the table for one book size, in one process."""
    book = book or book_for(lines)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="ordersheet-bench-") as tmp:
        work = workdir or Path(tmp)
        say = (lambda m: print(f"  [{lines:,}] {m}", flush=True)) if not quick else (lambda m: None)
        say("calamine")
        rows += measure_floor(book, lines, quick)
        if "openpyxl" in skip:
            rows.append(Row(lines, OPENPYXL, "baseline", error="skipped"))
        else:
            say("openpyxl load + save")
            rows.append(measure_openpyxl(book, lines, work))
        say("ordersheet read")
        read_row, loaded = measure_read(book, lines, quick)
        rows.append(read_row)
        if loaded is None:
            from ordersheet import app, cli

            # The engine failed: the domain still deserves a number, via the reference engine.
            with _env(ORDERSHEET_ENGINE="openpyxl"):
                loaded = app.read_book(cli.open_book(book))
            read_row.note += "; domain rows loaded through openpyxl"
        say("domain")
        domain_rows, result = measure_domain(loaded, lines, quick)
        rows += domain_rows
        del loaded
        if "pdf" in skip:
            rows.append(Row(lines, PDFS, "ordersheet", error="skipped"))
        else:
            say("PDFs")
            rows.append(measure_pdfs(result.book if result is not None else None, lines,
                                     work, docs=50 if quick else PDF_DOCS))
        del result
        if "e2e" in skip:
            rows.append(Row(lines, E2E, "ordersheet", error="skipped"))
            rows += [Row(lines, f"  e2e: {ph}", "phase", error="skipped") for ph in PHASES]
            rows.append(Row(lines, E2E_SECOND, "ordersheet", error="skipped"))
            rows += [Row(lines, f"  2nd run: {ph}", "phase", error="skipped")
                     for ph in PHASES]
        else:
            say("end to end, in process")
            rows += measure_e2e(book, lines, work)
            say("end to end, in process, second run on its output")
            rows += measure_e2e_second(lines, work)
        if "cli" in skip:
            rows.append(Row(lines, CLI, "ordersheet", error="skipped"))
        else:
            say("end to end, command")
            rows.append(measure_cli(book, lines, work))
    return rows


@contextlib.contextmanager
def _env(**values: str) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# ---- ratios ----------------------------------------------------------------------------


def _t(rows: Sequence[Row], name: str) -> float | None:
    for r in rows:
        if r.name == name and r.error is None:
            return r.seconds
    return None


def _div(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def ratios(rows: Sequence[Row]) -> dict[str, float | None]:
    """The target ratios for one size."""
    cli_row = next((r for r in rows if r.name == CLI), None)
    peak = None
    if cli_row is not None and cli_row.error is None:
        peak = max((x for x in (cli_row.child_maxrss_mb, cli_row.time_maxrss_mb)
                    if x is not None), default=None)
    return {
        "domain_vs_floor": _div(_t(rows, DOMAIN_RUN), _t(rows, CALAMINE_ORDERS)),
        "e2e_vs_openpyxl": _div(_t(rows, E2E), _t(rows, OPENPYXL)),
        "cli_vs_openpyxl": _div(_t(rows, CLI), _t(rows, OPENPYXL)),
        "cli_peak_mb": peak,
    }


GROWTH_ROWS = (CALAMINE_ORDERS, OPENPYXL, READ, DOMAIN_RUN, E2E, E2E_SECOND, CLI)
GROWTH_TARGETED = (READ, DOMAIN_RUN, E2E, E2E_SECOND, CLI)
"""The target is about ordersheet; the baselines' growth is shown for comparison."""


def growth(by_size: dict[int, list[Row]]) -> list[dict[str, Any]]:
    """For consecutive sizes n1 < n2 and each main row: the time multiplier per doubling
    of lines, (t2 / t1) ** (1 / log2(n2 / n1)); exactly t2 / t1 when n2 = 2 n1."""
    sizes = sorted(by_size)
    out = []
    for n1, n2 in zip(sizes, sizes[1:]):
        for name in GROWTH_ROWS:
            t1, t2 = _t(by_size[n1], name), _t(by_size[n2], name)
            per_doubling = (t2 / t1) ** (1 / math.log2(n2 / n1)) if t1 and t2 else None
            out.append({"from": n1, "to": n2, "name": name, "seconds_from": t1,
                        "seconds_to": t2, "per_doubling": per_doubling})
    return out


def verdict(key: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    op, limit, _ = TARGETS[key]
    return "ok" if value <= limit else "MISSED"


# ---- the Excel route ---------------------------------------------------------------------


def excel_route(sizes: Sequence[int] = (20, 10_000), cache: Path = CACHE) -> dict[str, Any]:
    """xlwings remote-engine actions queued by `process_orders`, on two pairs of books:

    - `generated`: the generator's books of `sizes` lines. Their flagged cells differ (the
      small one is built with 15 % errors so that notes occur at all; the big one has 1 %
      errors and a bigger catalogue), so their counts differ by notes (one action per
      flagged cell, capped at `NOTE_LIMIT` per run) and by how many separate runs of
      scattered cells are written (capped too): bounded, but not equal.
    - `like for like`: one small generated book padded with clean lines (`padded_book`) to
      each size: the same flagged cells, only more lines. The target is that these two
      counts are equal.
    """
    try:
        import xlwings as xw
        from ordersheet import excel
        process_orders = excel.process_orders
    except Exception as e:  # the Excel layer is optional for the headless benchmarks
        return {"available": False, "reason": f"{type(e).__name__}: {e}"}
    try:
        from tests.excel.payload import payload as make_payload
    except Exception:
        make_payload = None
    small = {"skus": 30, "customers": 10, "error_rate": 0.15}
    books: list[tuple[str, int, Path, Any]] = []
    for n in sizes:
        # Small books get a small catalogue and a few errors, so issue notes occur in both.
        gen = small if n < 1000 else {}
        books.append(("generated", n, book_for(n, cache, **gen), gen or "defaults"))
    base_lines = min(sizes) - 1
    base = book_for(base_lines, cache, **small)
    for n in sizes:
        books.append(("like for like", n, padded_book(base, n, cache),
                      f"{base.name} + {n - base_lines} clean lines"))
    out: dict[str, Any] = {"available": True, "runs": []}
    for kind, n, book_path, how in books:
        entry: dict[str, Any] = {"lines": n, "pair": kind, "generator": how}
        try:
            t0 = time.perf_counter()
            pl = make_payload(book_path) if make_payload else _payload(book_path, xw.__version__)
            entry["payload_seconds"] = time.perf_counter() - t0
            book = xw.Book(json=pl)
            printed = io.StringIO()
            t0 = time.perf_counter()
            with contextlib.redirect_stdout(printed):
                outcome = process_orders(book, dispatch=True, as_of=TODAY)
            entry["seconds"] = time.perf_counter() - t0
            if outcome is None:
                entry["error"] = "process_orders wrote nothing: " + printed.getvalue().strip()[-200:]
            actions = book.json()["actions"]
            entry["actions"] = len(actions)
            entry["writes"] = len(unchunked(actions))
            funcs: dict[str, int] = {}
            for a in actions:
                funcs[a["func"]] = funcs.get(a["func"], 0) + 1
            entry["by_func"] = funcs
        except Exception as e:
            entry["error"] = f"{type(e).__name__}: {e}"
        out["runs"].append(entry)
    for kind, key in (("generated", "same_action_count_generated"),
                      ("like for like", "same_action_count")):
        counts = [r.get("writes") for r in out["runs"] if r["pair"] == kind]
        out[key] = (None if None in counts else len(set(counts)) == 1)
    return out


def unchunked(actions: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """`actions` with xlwings' own chunks of one write joined again. xlwings splits a
    `setValues` of more than 100,000 cells into consecutive row blocks (`max_cells_per_write`
    of the remote engine, so that one Office.js request stays small); those blocks are one
    write of ordersheet's, and this counts them once: a `setValues` that continues the one
    before it (same sheet, same columns, starting on the row after it) is folded into it."""
    out: list[dict[str, Any]] = []
    for a in actions:
        if out and a["func"] == "setValues" and out[-1]["func"] == "setValues":
            b = out[-1]
            if (a["sheet_position"], a["start_column"], a["column_count"]) == \
                    (b["sheet_position"], b["start_column"], b["column_count"]) and \
                    a["start_row"] == b["start_row"] + b["row_count"]:
                out[-1] = {**b, "row_count": b["row_count"] + a["row_count"]}
                continue
        out.append(a)
    return out


BULK_SKU, BULK_CUSTOMER = "BULK-0001", "C-BULK"


def padded_book(base: Path, lines: int, cache: Path = CACHE) -> Path:
    """`base` (a small generated book) plus clean one-line orders up to `lines` order lines,
    cached: a customer without credit limit, discount or hold buys one in-stock product,
    one unit per order, so the extra lines raise no issue and flag no cell. The product,
    its stock and the customer are added whatever `lines` is, so the padded books of every
    size differ only in the number of those orders."""
    path = cache / f"{base.stem}-padded{lines}.xlsx"
    if path.exists():
        return path
    from openpyxl import load_workbook

    wb = load_workbook(base)
    orders = wb["Orders"]
    have = orders.max_row - 1
    if lines <= have:
        raise ValueError(f"{base.name} has {have} lines already")
    wb["Products"].append([BULK_SKU, "Bulk test item", 10, 1, "standard", "Yes"])
    wb["Inventory"].append([BULK_SKU, "MAIN", 10 ** 9, "Z-99", None, None, None])
    wb["Customers"].append([BULK_CUSTOMER, "Bulk Buyer Inc", "bulk@example.com", "US", "USD",
                            None, 30, None, "No", "No", "1 Bulk Rd, US", "1 Bulk Rd, US"])
    day = dt.datetime.combine(TODAY - dt.timedelta(days=10), dt.time())
    for i in range(lines - have):
        orders.append([f"BULK-{i:07d}", 1, day, BULK_CUSTOMER, BULK_SKU, 1, None, None,
                       "Normal", None, None, None])
        orders.cell(orders.max_row, 3).number_format = "yyyy-mm-dd"
    tmp = path.with_suffix(".tmp.xlsx")
    wb.save(tmp)
    tmp.replace(path)
    return path


def _payload(path: Path, version: str) -> dict[str, Any]:
    """A minimal Office.js payload (values anchored at A1, dates as ISO `...Z` strings),
    used only when tests/excel/payload.py is not importable."""
    from python_calamine import CalamineWorkbook

    def cell(v: Any) -> Any:
        if v is None:
            return ""
        if isinstance(v, dt.datetime):
            return v.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        if isinstance(v, dt.date):
            return f"{v:%Y-%m-%d}T00:00:00.000Z"
        if isinstance(v, int) and not isinstance(v, bool):
            return float(v)
        return v

    wb = CalamineWorkbook.from_path(str(path))
    sheets = []
    for name in wb.sheet_names:
        values = [[cell(v) for v in row] for row in wb.get_sheet_by_name(name).to_python()]
        sheets.append({"name": name, "values": values or [[]], "tables": [], "pictures": [],
                       "visibility": "Visible"})
    return {"client": "Office.js", "version": version,
            "book": {"name": path.name, "active_sheet_index": 0, "selection": "A1"},
            "names": [], "sheets": sheets}


# ---- report --------------------------------------------------------------------------------


def _fmt(v: float | None, spec: str) -> str:
    return "" if v is None else format(v, spec)


def print_report(by_size: dict[int, list[Row]], grow: list[dict[str, Any]],
                 excel: dict[str, Any] | None, meta: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(highlight=False, width=max(150, Console().width))
    console.print(f"[bold]ordersheet benchmarks[/] — {meta['engine']}, {meta['cpus']} CPUs, "
                  f"Python {meta['python']}")
    for n, rows in by_size.items():
        t = Table(title=f"{n:,} order lines", header_style="bold")
        for col, just in (("step", "left"), ("seconds", "right"), ("rows/s", "right"),
                          ("peak RSS MB", "right"), ("Δ RSS MB", "right"),
                          ("tracemalloc MB", "right"), ("child maxrss MB", "right"),
                          ("note", "left")):
            t.add_column(col, justify=just, no_wrap=col != "note")  # type: ignore[arg-type]
        for r in rows:
            child = r.child_maxrss_mb
            if r.time_maxrss_mb is not None:
                child_s = f"{_fmt(child, '.0f')} (time: {r.time_maxrss_mb:.0f})"
            else:
                child_s = _fmt(child, ".0f")
            t.add_row(r.name, _fmt(r.seconds, ".3f"), _fmt(r.rows_per_s, ",.0f"),
                      _fmt(r.rss_peak_mb, ".0f"), _fmt(r.rss_delta_mb, ".0f"),
                      _fmt(r.tracemalloc_mb, ".0f"), child_s,
                      f"[red]{escape(r.error[:70])}[/]" if r.error else escape(r.note))
        console.print(t)
    t = Table(title="ratios (targets from issue 9)", header_style="bold")
    t.add_column("ratio")
    t.add_column("target", justify="right")
    for n in by_size:
        t.add_column(f"{n:,}", justify="right")
    rat = {n: ratios(rows) for n, rows in by_size.items()}
    for key in ("domain_vs_floor", "e2e_vs_openpyxl", "cli_vs_openpyxl", "cli_peak_mb"):
        op, limit, label = TARGETS[key]
        cells = []
        for n in by_size:
            v = rat[n][key]
            cells.append("n/a" if v is None else
                         f"{v:.2f} {'ok' if verdict(key, v) == 'ok' else '[red]MISSED[/]'}")
        t.add_row(label, f"{op} {limit:g}", *cells)
    console.print(t)
    if grow:
        g = Table(title="growth: time multiplier per doubling of lines (target <= 2.0)",
                  header_style="bold")
        g.add_column("step")
        pairs = sorted({(x["from"], x["to"]) for x in grow})
        for a, b in pairs:
            g.add_column(f"{a:,} → {b:,}", justify="right")
        for name in GROWTH_ROWS:
            cells = []
            for a, b in pairs:
                x = next(x for x in grow if (x["from"], x["to"], x["name"]) == (a, b, name))
                v = x["per_doubling"]
                missed = v is not None and name in GROWTH_TARGETED and v > 2.0
                cells.append("n/a" if v is None else
                             f"{v:.2f}" + (" [red]MISSED[/]" if missed else ""))
            g.add_row(name, *cells)
        console.print(g)
    if excel is not None:
        if not excel.get("available"):
            console.print(f"excel route: not available ({escape(excel.get('reason', ''))})")
        else:
            console.print("excel route (process_orders, remote engine):")
            for kind, key in (("generated", "same_action_count_generated"),
                              ("like for like", "same_action_count")):
                parts = [f"{r['lines']:,} lines: " +
                         (f"{r['writes']} actions ({r['actions']} after xlwings' chunking) "
                          f"in {r['seconds']:.2f} s" if "actions" in r
                          else f"[red]{escape(str(r.get('error')))}[/]")
                         for r in excel["runs"] if r.get("pair", "generated") == kind]
                same = excel.get(key)
                said = ("" if same is None else "  — same count" if same else
                        "  — counts differ" + ("" if kind == "generated" else " [red]MISSED[/]"))
                console.print(f"  {kind}: " + "; ".join(parts) + said)


def meta_info() -> dict[str, Any]:
    return {"date": dt.datetime.now().isoformat(timespec="seconds"), "engine": engine_name(),
            "cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "today": TODAY.isoformat(),
            "generator_version": GENERATOR_VERSION}


def write_json(path: Path, by_size: dict[int, list[Row]], grow: list[dict[str, Any]],
               excel: dict[str, Any] | None, meta: dict[str, Any]) -> None:
    doc = {"meta": meta, "targets": {k: {"op": op, "limit": lim, "what": what}
                                     for k, (op, lim, what) in TARGETS.items()},
           "sizes": {str(n): {"rows": [r.as_dict() for r in rows], "ratios": ratios(rows)}
                     for n, rows in by_size.items()},
           "growth": grow, "excel_route": excel}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1, default=str))


def run(lines: Sequence[int] = DEFAULT_LINES, *, quick: bool = False, excel: bool = True,
        skip: Sequence[str] = (), out: Path | None = RESULTS / "latest.json",
        cache: Path = CACHE) -> dict[str, Any]:
    """Measure every size, print the report, write the JSON; returns what was written."""
    meta = meta_info()
    by_size: dict[int, list[Row]] = {}
    for n in sorted(set(lines)):
        print(f"measuring {n:,} lines ...", flush=True)
        by_size[n] = measure_size(n, quick=quick, skip=skip, book=book_for(n, cache))
    grow = growth(by_size)
    excel_result = None
    if excel:
        print("measuring the Excel route ...", flush=True)
        excel_result = excel_route(cache=cache)
    meta["children_maxrss_mb"] = _maxrss_mb(resource.RUSAGE_CHILDREN)
    meta["harness_maxrss_mb"] = _maxrss_mb()
    if out is not None:  # first, so that nothing measured is lost to a printing problem
        write_json(out, by_size, grow, excel_result, meta)
    print_report(by_size, grow, excel_result, meta)
    if out is not None:
        print(f"written: {out}")
    return {"by_size": by_size, "growth": grow, "excel_route": excel_result, "meta": meta}


def profile_size(lines: int, *, out_dir: Path = RESULTS, cache: Path = CACHE,
                 top: int = 10) -> dict[str, Path]:
    """cProfile of the domain run, of the in-process end-to-end run and of a second run on
    its output, for one size; prints the `top` functions by cumulative and by own time,
    and writes the stats (`.prof` for snakeviz/pstats, `.txt` for reading) to `out_dir`."""
    import cProfile
    import pstats

    from ordersheet import app, cli
    from ordersheet.domain import pipeline

    book = book_for(lines, cache)
    loaded = app.read_book(cli.open_book(book))
    written: dict[str, Path] = {}
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ordersheet-prof-") as tmp:
        copy = _copy(book, Path(tmp), "in.xlsx")
        jobs = {
            "domain": lambda: pipeline.run(loaded.book, operation="run", today=TODAY, now=NOW,
                                           dispatch=True, bad_rows=loaded.bad_order_rows,
                                           prior_issues=loaded.issues),
            "e2e": lambda: cli.run_operation(copy, "run", TODAY.isoformat(),
                                             Path(tmp) / "out.xlsx", as_json=False,
                                             dispatch=True, quiet=True),
            # the same run on the book the first one wrote
            "e2e-second": lambda: cli.run_operation(Path(tmp) / "out.xlsx", "run",
                                                    TODAY.isoformat(),
                                                    Path(tmp) / "out2.xlsx", as_json=False,
                                                    dispatch=True, quiet=True),
        }
        for name, fn in jobs.items():
            prof = cProfile.Profile()
            t0 = time.perf_counter()
            try:
                prof.runcall(fn)
            except Exception as e:  # profile what ran; say why it stopped
                print(f"{name}: stopped by {type(e).__name__}: {e}")
            took = time.perf_counter() - t0
            base = out_dir / f"profile-{name}-{lines}"
            prof.dump_stats(str(base) + ".prof")
            text = io.StringIO()
            stats = pstats.Stats(prof, stream=text).strip_dirs()
            text.write(f"{name}, {lines:,} lines, {took:.2f} s under cProfile "
                       f"({engine_name()})\n")
            stats.sort_stats("cumulative").print_stats(40)
            stats.sort_stats("tottime").print_stats(25)
            Path(str(base) + ".txt").write_text(text.getvalue())
            written[name] = Path(str(base) + ".txt")
            print(f"\n== {name}, {lines:,} lines: {took:.2f} s under cProfile; "
                  f"top {top} by cumulative time ==")
            quick = io.StringIO()
            pstats.Stats(prof, stream=quick).strip_dirs().sort_stats("cumulative") \
                .print_stats(top)
            listing = quick.getvalue()
            print(listing[listing.find("   ncalls"):].rstrip() if "ncalls" in listing else listing)
            print(f"(full listing: {base}.txt)")
    return written


def markdown(doc: dict[str, Any]) -> str:
    """The tables of a saved run (`latest.json`) as Markdown, for the README and issues."""
    sizes = list(doc["sizes"])
    rows_by = {n: {r["name"]: r for r in doc["sizes"][n]["rows"]} for n in sizes}

    def cell(r: dict[str, Any] | None) -> str:
        if r is None or r.get("error") or r.get("seconds") is None:
            return "failed" if r and r.get("error") not in (None, "skipped") else "–"
        text = f"{r['seconds']:.2f} s"
        if r.get("child_maxrss_mb"):
            text += f", {r['child_maxrss_mb']:.0f} MB"
        elif r.get("rss_delta_mb") is not None and r["group"] != "phase":
            text += f", Δ{r['rss_delta_mb']:.0f} MB"
        return text

    m = doc["meta"]
    out = [f"Measured {m['date'][:10]} on {m['cpus']} CPUs, Python {m['python']}, "
           f"{m['engine']}.", "",
           "| step | " + " | ".join(f"{int(n):,} lines" for n in sizes) + " |",
           "|---|" + "---:|" * len(sizes)]
    for name in ROW_NAMES:
        label = name.strip().replace("  ", "")
        out.append(f"| {label} | " + " | ".join(cell(rows_by[n].get(name)) for n in sizes)
                   + " |")
    out += ["", "| ratio | target | " + " | ".join(f"{int(n):,}" for n in sizes) + " |",
            "|---|---:|" + "---:|" * len(sizes)]
    for key in ("domain_vs_floor", "e2e_vs_openpyxl", "cli_vs_openpyxl", "cli_peak_mb"):
        op, limit, what = TARGETS[key]
        vals = []
        for n in sizes:
            v = doc["sizes"][n]["ratios"].get(key)
            vals.append("n/a" if v is None else
                        f"{v:.2f}" + ("" if verdict(key, v) == "ok" else " ✗"))
        out.append(f"| {what} | {op} {limit:g} | " + " | ".join(vals) + " |")
    if doc.get("growth"):
        pairs = sorted({(g["from"], g["to"]) for g in doc["growth"]})
        out += ["", "| growth per doubling (target ≤ 2.0) | " +
                " | ".join(f"{a:,} → {b:,}" for a, b in pairs) + " |",
                "|---|" + "---:|" * len(pairs)]
        for name in GROWTH_ROWS:
            vals = []
            for a, b in pairs:
                g = next(g for g in doc["growth"] if (g["from"], g["to"], g["name"]) == (a, b, name))
                vals.append("n/a" if g["per_doubling"] is None else f"{g['per_doubling']:.2f}")
            out.append(f"| {name} | " + " | ".join(vals) + " |")
    ex = doc.get("excel_route")
    if ex:
        out.append("")
        if not ex.get("available"):
            out.append(f"Excel route: not available ({ex.get('reason')}).")
        else:
            out.append("Excel route (`process_orders`, remote engine):")
            for kind in ("generated", "like for like"):
                out.append(f"- {kind}: " + "; ".join(
                    f"{r['lines']:,} lines → {r['writes']} actions, {r['actions']} after "
                    f"xlwings' chunking ({r['seconds']:.1f} s)"
                    if "actions" in r else f"{r['lines']:,} lines → failed: {r.get('error')}"
                    for r in ex["runs"] if r.get("pair", "generated") == kind) + ".")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.harness", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, nargs="+", default=list(DEFAULT_LINES),
                    help="book sizes in order lines (default: 10000 50000 100000)")
    ap.add_argument("--quick", action="store_true",
                    help="one run per step, no tracemalloc pass (numbers are rougher)")
    ap.add_argument("--engine", choices=("auto", "xlsx", "openpyxl"), default="auto",
                    help="the CLI's engine (auto: the package engine when importable)")
    ap.add_argument("--skip", nargs="*", default=[],
                    choices=("openpyxl", "pdf", "e2e", "cli", "excel"),
                    help="leave out slow measurements")
    ap.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    ap.add_argument("--profile", action="store_true",
                    help="instead of the table: cProfile the domain run, the end-to-end "
                         "run and a second run on its output for each --lines size "
                         "(listings in benchmarks/results/)")
    ap.add_argument("--markdown", type=Path, metavar="JSON",
                    help="print the tables of a saved run as Markdown and exit")
    a = ap.parse_args(argv)
    if a.markdown:
        print(markdown(json.loads(a.markdown.read_text())))
        return
    if a.engine == "openpyxl":
        os.environ["ORDERSHEET_ENGINE"] = "openpyxl"
    elif a.engine == "xlsx":
        os.environ.pop("ORDERSHEET_ENGINE", None)
    if a.profile:
        for n in a.lines:
            profile_size(n)
        return
    run(a.lines, quick=a.quick, excel="excel" not in a.skip, skip=a.skip, out=a.out)


if __name__ == "__main__":
    main()
