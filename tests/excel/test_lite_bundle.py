"""`ordersheet lite`: the main.py it writes carries the package, so xlwings Lite needs
nothing from outside but requirements.txt.

The proof runs the written main.py in a sealed interpreter (`python -I -S`): no
site-packages, no editable install, no PYTHONPATH; only the distributions that
requirements.txt names (and what they require) are put on its path. There, `ordersheet` is
not importable until main.py unpacks it, and xlwings' own server-side entry points list
the scripts and functions and run a button with a typed argument from App Mode's form."""

from __future__ import annotations

import ast
import datetime as dt
import importlib.metadata as md
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from packaging.requirements import Requirement

from ordersheet import app, lite
from ordersheet.book.openpyxl_engine import OpenpyxlBook
from tests.bookfiles import D1, basic_book
from tests.excel.payload import payload, replay, sheet_values

ROOT = Path(__file__).resolve().parents[2]
LITE = ROOT / "addin" / "lite"
TODAY = dt.date(2026, 11, 3)
SCRIPTS = ["cancel_order", "create_invoices", "customer_updates", "dispatch_shipments",
           "plan_shipments", "price_orders", "process_orders", "process_returns",
           "reconcile_payments", "refresh_dashboard", "reserve_stock", "show_document",
           "validate_orders"]
DESKTOP_LIBRARIES = ("openpyxl", "typer", "rich", "fpdf", "python_calamine", "defusedxml")

PROBE = textwrap.dedent("""
    import asyncio, importlib.util, json, sys
    sys.path.insert(0, sys.argv[1])  # the requirements' distributions, nothing else
    out = {"before": {n: importlib.util.find_spec(n) is not None
                      for n in ["ordersheet"] + sys.argv[4].split(",")}}
    import xlwings as xw
    from xlwings.server import (custom_functions_call, custom_functions_meta,
                                custom_scripts_call, custom_scripts_meta)

    spec = importlib.util.spec_from_file_location("main", sys.argv[2])
    main = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(main)
    import ordersheet
    out["ordersheet"] = ordersheet.__file__
    out["scripts"] = [s["function_name"] for s in custom_scripts_meta(main)]
    out["functions"] = sorted(f["name"] for f in custom_functions_meta(main)["functions"])

    # App Mode's form for dispatch_shipments: the Shipment ID and the as-of date.
    book = xw.Book(json=json.load(open(sys.argv[3])))
    asyncio.run(custom_scripts_call(main, "dispatch_shipments",
                                    typehint_to_value={xw.Book: book},
                                    args=["SHP-00001", "2026-11-03"]))
    out["actions"] = book.json()["actions"]
    data = {"func_name": "line_total", "version": xw.__version__, "client": "Office.js",
            "runtime": "1.4", "culture_info_name": "en-US", "date_format": None,
            "args": [[[3.0]], [[9.99]], [[0.2]], [["EUR"]]]}
    out["line_total"] = asyncio.run(custom_functions_call(data, main))
    print(json.dumps(out))
""")


def distributions_for(requirements) -> set[str]:
    """The installed distributions `requirements` bring in, their own requirements too
    (extras and other platforms' markers left out)."""
    seen: set[str] = set()
    todo = [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        name = req.name.lower().replace("_", "-")
        if name in seen or (req.marker and not req.marker.evaluate({"extra": ""})):
            continue
        seen.add(name)
        todo += [Requirement(r) for r in md.requires(name) or []]
    return seen


def site_of(distributions: set[str], folder: Path) -> Path:
    """A folder holding links to the top-level modules of `distributions` only."""
    folder.mkdir()
    for name in distributions:
        dist = md.distribution(name)
        tops = {f.parts[0] for f in dist.files or [] if not f.parts[0].endswith(".dist-info")
                and f.parts[0] != ".." and not f.parts[0].startswith("__")}
        for top in tops:
            source = Path(dist.locate_file(top))
            if source.exists() and not (folder / top).exists():
                (folder / top).symlink_to(source)
    return folder


def book_with_ready_shipments(tmp_path: Path) -> Path:
    src = basic_book(tmp_path / "book.xlsx", orders=[
        ["SO-1", 1, D1, "C1", "A-100", 2, None, None, "Normal", None, None, None],
        ["SO-2", 1, D1, "C2", "B-200", 1, None, None, "Normal", None, None, None]])
    port = OpenpyxlBook(src)
    app.execute(port, "ship", today=TODAY, now=dt.datetime(2026, 11, 3, 9, 0))
    port.save(tmp_path / "shipped.xlsx")
    return tmp_path / "shipped.xlsx"


@pytest.fixture(scope="module")
def sealed(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("lite")
    written = lite.write(tmp / "addin")
    site = site_of(distributions_for(lite.REQUIREMENTS), tmp / "site")
    book = book_with_ready_shipments(tmp)
    (tmp / "payload.json").write_text(json.dumps(payload(book)))
    env = {"PATH": os.environ.get("PATH", ""), "TMPDIR": str(tmp),
           "XLWINGS_LICENSE_KEY": "noncommercial", "XLWINGS_ON_SERVER": "true"}
    done = subprocess.run([sys.executable, "-I", "-S", "-c", PROBE, str(site), str(written[0]),
                           str(tmp / "payload.json"), ",".join(DESKTOP_LIBRARIES)],
                          cwd=tmp, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out.update(tmp=tmp, book=book)
    return out


def test_without_main_py_nothing_of_ordersheet_or_the_desktop_is_importable(sealed):
    assert sealed["before"] == dict.fromkeys(["ordersheet", *DESKTOP_LIBRARIES], False)


def test_main_py_unpacks_the_package_it_carries(sealed):
    home = Path(sealed["ordersheet"]).parent.parent
    assert home.parent == sealed["tmp"] and home.name.startswith("ordersheet-lite-")


def test_xlwings_lists_every_script_and_custom_function(sealed):
    assert sealed["scripts"] == SCRIPTS
    assert sealed["functions"] == ["LINE_TOTAL", "OPEN_BALANCE", "ORDER_PRICE",
                                   "STOCK_AVAILABLE"]


def test_a_button_with_a_typed_shipment_id_dispatches_that_shipment(sealed):
    wb = load_workbook(sealed["book"])
    replay(wb, sealed["actions"])
    shipments = sheet_values(wb["Shipments"])
    head = shipments[0]
    assert {r[head.index("Order ID")]: r[head.index("Status")] for r in shipments[1:]} == {
        "SO-1": "Shipped", "SO-2": "Ready"}
    ledger = sheet_values(wb["Stock Ledger"])
    head = ledger[0]
    assert {(r[head.index("Order ID")], r[head.index("Change")]) for r in ledger[1:]
            if r[head.index("Field")] == "On Hand"} == {("SO-1", -2)}


def test_a_custom_function_answers_in_the_sealed_interpreter(sealed):
    assert sealed["line_total"] == [[35.96]]  # 29.97 + 20 % tax, rounded to cents


# ---- the files ------------------------------------------------------------------------------


def test_the_repository_holds_what_the_command_writes():
    """addin/lite/main.py is the thin main.py (for a hosted wheel); requirements.txt is
    what `ordersheet lite` writes beside the main.py that carries the package."""
    again = ("write them again: python -c \"from pathlib import Path; from ordersheet import "
             "lite; Path('addin/lite/main.py').write_text(lite.main_py(bundle=False)); "
             "Path('addin/lite/requirements.txt').write_text(lite.requirements_txt())\"")
    assert (LITE / "main.py").read_text() == lite.main_py(bundle=False), again
    assert (LITE / "requirements.txt").read_text() == lite.requirements_txt(), again
    bundled = lite.main_py()
    assert bundled.startswith(lite.MARK) and bundled.endswith(lite._imports(lite.PACKAGE))


def test_main_py_imports_exactly_what_excel_exports():
    from ordersheet import excel

    tree = ast.parse(lite.main_py(bundle=False))
    imported = [a.name for n in tree.body if isinstance(n, ast.ImportFrom) for a in n.names]
    assert sorted(imported) == sorted(excel.__all__)


def test_requirements_are_pyprojects_bounds_of_what_lite_imports():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    by_name = {Requirement(d).name: d for d in deps}
    assert [by_name[Requirement(r).name] for r in lite.REQUIREMENTS] == list(lite.REQUIREMENTS)
    lines = [ln for ln in lite.requirements_txt().splitlines() if not ln.startswith("#")]
    assert lines == list(lite.REQUIREMENTS)
    assert not any(lib in lite.requirements_txt() for lib in ("openpyxl", "typer", "fpdf"))


def test_the_parts_left_out_are_never_imported_by_the_excel_side():
    code = "import sys, ordersheet.excel; print('\\n'.join(sorted(sys.modules)))"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True)
    loaded = {m.replace(".", "/") for m in done.stdout.split() if m.startswith("ordersheet")}
    for part in lite.DESKTOP_ONLY:
        module = "ordersheet/" + re.sub(r"(/|\.py)$", "", part)
        assert not any(m == module or m.startswith(module + "/") for m in loaded), part
    assert "ordersheet/excel" in loaded


def test_the_wheel_is_the_same_for_the_same_files_and_records_every_member():
    data = lite.wheel()
    assert data == lite.wheel()
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as z:
        names = z.namelist()
        record = z.read("ordersheet-0.1.0.dist-info/RECORD").decode()
    assert "ordersheet/excel.py" in names and "ordersheet/cli.py" not in names
    assert not any("__pycache__" in n or n.startswith("ordersheet/book/xlsx/") for n in names)
    # PDFs are desktop work: their fonts (1.4 MB) stay out of main.py
    assert not any(n.startswith("ordersheet/documents/fonts") for n in names)
    assert sorted(ln.split(",")[0] for ln in record.splitlines()) == sorted(names)


def test_an_installed_package_embeds_the_same_wheel(tmp_path):
    """From site-packages (compiled files beside the sources) the wheel is the one a
    checkout gives: only the package's own files go in."""
    import compileall

    site = tmp_path / "site-packages"
    shutil.copytree(ROOT / "src" / "ordersheet", site / "ordersheet",
                    ignore=shutil.ignore_patterns("__pycache__"))
    assert compileall.compile_dir(site, quiet=1)
    code = "import sys; from ordersheet import lite; sys.stdout.buffer.write(lite.wheel())"
    done = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=str(site)),
                          capture_output=True, check=True)
    assert done.stdout == lite.wheel()


def test_main_py_replaces_an_ordersheet_imported_before_it(tmp_path):
    """A session that already has an ordersheet (an older paste, a wheel from
    requirements.txt) runs the one in the main.py pasted last."""
    (main,) = [p for p in lite.write(tmp_path / "addin") if p.name == "main.py"]
    code = ("import runpy, sys, ordersheet.domain.money; runpy.run_path(sys.argv[1]); "
            "import ordersheet.domain.money as m; print(m.__file__)")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), TMPDIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", code, str(main)], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert Path(done.stdout.strip()).is_relative_to(tmp_path)


def test_a_damaged_main_py_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    with pytest.raises(ImportError, match="damaged"):
        lite.unpack("AAAA", "0" * 64)


# ---- the command ------------------------------------------------------------------------------


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.run([sys.executable, "-m", "ordersheet.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True)


def test_the_command_writes_the_two_files_and_replaces_only_its_own(tmp_path):
    done = run_cli("lite", "files", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "files").iterdir()) == ["main.py",
                                                                       "requirements.txt"]
    assert run_cli("lite", "files", cwd=tmp_path).returncode == 0  # an update
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "main.py").write_text("print('my own script')\n")
    refused = run_cli("lite", "mine", cwd=tmp_path)
    assert refused.returncode == 2 and "was not written by `ordersheet lite`" in refused.stderr
    assert (tmp_path / "mine" / "main.py").read_text() == "print('my own script')\n"
    missing = run_cli("lite", "no/such", cwd=tmp_path)
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1


def test_the_hosted_wheel_route_writes_the_thin_main_the_url_and_the_wheel(tmp_path):
    url = "https://example.com/wheels/" + lite.wheel_name()
    done = run_cli("lite", "hosted", "--wheel-url", url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "hosted"
    assert (folder / "main.py").read_text() == lite.main_py(bundle=False)
    assert (folder / "requirements.txt").read_text().splitlines()[-1] == url
    assert (folder / lite.wheel_name()).read_bytes() == lite.wheel()
    bad = run_cli("lite", "x", "--wheel-url", "https://example.com/latest", cwd=tmp_path)
    assert bad.returncode == 2 and ".whl" in bad.stderr
