"""STYLE.md's arrows: rule modules import only the shared modules of ours (money, models,
issues, records), and a few a part of their own rule (`PARTS`); only `pipeline` chains the
steps; the domain imports nothing outside the standard library, pydantic and babel (pure
Python, optional in money.py): it runs inside xlwings Lite. Each book engine imports
exactly one workbook library."""

import ast
import sys
from pathlib import Path

import ordersheet.domain as domain

HERE = Path(domain.__file__).parent
BOOK = HERE.parent / "book"
SHARED = {"money", "models", "issues", "records"}
RULES = ["validation", "pricing", "credit", "reservation", "carriers", "shipping", "dispatch",
         "invoicing", "views", "status", "rates", "receivables", "updates", "analytics",
         "reorder", "bottlenecks", "payments", "aging", "changes", "returns"]
PARTS = {
    "shipping": {"carriers"},   # planning rates every shipment it plans
    "dispatch": {"shipping"},   # what a shipment's status means (planning makes them)
    "views": {"shipping"},      # which shipments are Ready; a weight as text
    "status": {"validation"},   # what a Cancelled line is
    "updates": {"receivables", "carriers"},  # when an invoice is Overdue; a shipment's rate
    "returns": {"invoicing"},   # credit notes are numbered as invoices are
    "analytics": {"returns", "aging"},  # which Returns row an accepted return is; its fee
    # line; receivables as AR Aging totals them
}
"""The rule modules a rule module may read besides the shared ones: part of its own rule or
the meaning of the records it works on -- never a step (`test_only_the_pipeline_...`)."""


def _imports(path: Path) -> tuple[set[str], set[str]]:
    """(sibling modules imported relatively, top-level packages imported absolutely)."""
    siblings, external = set(), set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            if node.module:
                siblings.add(node.module.split(".")[0])
            else:
                siblings |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            external.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            external |= {a.name.split(".")[0] for a in node.names}
    return siblings, external


def _sibling_names(path: Path) -> tuple[set[tuple[str, str]], set[str]]:
    """((module, name) of each `from .module import name`, modules of `from . import m`)."""
    names, whole = set(), set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                names |= {(node.module, a.name) for a in node.names}
            else:
                whole |= {a.name for a in node.names}
    return names, whole


def _steps() -> set[tuple[str, str]]:
    """(module, function) of every step `pipeline` calls: `module.function(...)`."""
    tree = ast.parse((HERE / "pipeline.py").read_text())
    alias = {a.asname or a.name: a.name for node in ast.walk(tree)
             if isinstance(node, ast.ImportFrom) and node.level == 1 and not node.module
             for a in node.names}
    return {(alias[n.func.value.id], n.func.attr) for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and isinstance(n.func.value, ast.Name) and n.func.value.id in alias}


def test_every_domain_module_is_a_shared_module_a_rule_module_or_the_pipeline():
    modules = {p.stem for p in HERE.glob("*.py")} - {"__init__"}
    assert modules == SHARED | set(RULES) | {"pipeline"}


def test_rule_modules_import_only_the_shared_modules_and_their_parts():
    for name in RULES:
        siblings, _ = _imports(HERE / f"{name}.py")
        allowed = SHARED | PARTS.get(name, set())
        assert siblings <= allowed, f"domain/{name}.py imports {sorted(siblings - allowed)}"


def test_shared_modules_import_only_shared_modules():
    for name in SHARED:
        siblings, _ = _imports(HERE / f"{name}.py")
        assert siblings <= SHARED, f"domain/{name}.py imports {sorted(siblings - SHARED)}"


def test_only_the_pipeline_chains_the_steps():
    steps = _steps()
    assert {("shipping", "plan_shipments"), ("dispatch", "dispatch"),
            ("status", "line_outcomes"), ("reservation", "reserve")} <= steps
    for path in HERE.glob("*.py"):
        if path.stem == "pipeline":
            continue
        names, whole = _sibling_names(path)
        # A whole rule module would hand over its steps; import the names needed instead.
        assert not whole & set(RULES), f"{path.name} imports {sorted(whole & set(RULES))}"
        assert not names & steps, f"{path.name} imports the step {sorted(names & steps)}"


def test_the_runs_rates_are_built_by_the_pipeline_and_passed_in():
    """`rates` (FX and tax look-ups, built once per run) imports only shared modules, and
    only `pipeline` imports it: the steps get it as an argument (`models.Rates`)."""
    siblings, _ = _imports(HERE / "rates.py")
    assert siblings <= SHARED, f"domain/rates.py imports {sorted(siblings - SHARED)}"
    importers = sorted(p.stem for p in HERE.glob("*.py") if "rates" in _imports(p)[0])
    assert importers == ["pipeline"]


def test_the_domain_needs_only_the_standard_library_and_pydantic():
    allowed = set(sys.stdlib_module_names) | {"pydantic", "babel", "__future__"}
    for path in HERE.glob("*.py"):
        _, external = _imports(path)
        assert external <= allowed, f"{path.name} imports {sorted(external - allowed)}"


WORKBOOK_LIBRARIES = {"openpyxl", "xlwings", "python_calamine", "xlsxwriter", "xlrd",
                      "pyxlsb", "pandas"}
ENGINES = {"xlsx": {"python_calamine"}, "openpyxl_engine": {"openpyxl"},
           "xlwings": set(), "files": set()}
"""each engine's own workbook library (the xlwings engine's is the `xlwings.Book` it is
handed: it imports none itself; `files` serves every engine and imports none)"""


CHART_MODEL = {"xlsx/charts.py": {"openpyxl"}}
"""The one exception: the xlsx engine's charts serialise openpyxl's chart model (STYLE
rule 12: a well-kept library's DrawingML, not hand-written), imported only when a plan
draws charts; the rest of the engine edits the package without openpyxl."""


def test_each_book_engine_imports_only_its_own_workbook_library():
    for engine, own in ENGINES.items():
        folder = BOOK / engine
        paths = sorted(folder.glob("*.py")) if folder.is_dir() else [BOOK / f"{engine}.py"]
        assert paths and all(path.exists() for path in paths), engine
        for path in paths:
            _, external = _imports(path)
            libraries = external & WORKBOOK_LIBRARIES
            allowed = own | CHART_MODEL.get(str(path.relative_to(BOOK)), set())
            assert libraries <= allowed, \
                f"book/{path.relative_to(BOOK)} imports {sorted(libraries)}"


def test_the_xlsx_engine_needs_only_the_standard_library_defusedxml_and_calamine():
    allowed = set(sys.stdlib_module_names) | {"defusedxml", "python_calamine", "__future__"}
    for path in sorted((BOOK / "xlsx").glob("*.py")):
        _, external = _imports(path)
        extra = CHART_MODEL.get(f"xlsx/{path.name}", set())
        assert external <= allowed | extra, \
            f"xlsx/{path.name} imports {sorted(external - allowed - extra)}"


def test_the_checker_sees_a_forbidden_import(tmp_path):
    bad = tmp_path / "credit.py"
    bad.write_text("from .pricing import convert\nimport numpy\n")
    siblings, external = _imports(bad)
    assert siblings == {"pricing"} and external == {"numpy"}
    bad.write_text("from .reservation import reserve\nfrom . import shipping\n")
    names, whole = _sibling_names(bad)
    assert names & _steps() == {("reservation", "reserve")} and whole == {"shipping"}
