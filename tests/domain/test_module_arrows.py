"""STYLE.md's arrows: rule modules import only money/models/issues of ours; only
`pipeline` chains the steps; the domain imports nothing outside the standard library,
pydantic and babel (pure Python, optional in money.py): it runs inside xlwings Lite.
Each book engine imports exactly one workbook library."""

import ast
import sys
from pathlib import Path

import ordersheet.domain as domain

HERE = Path(domain.__file__).parent
BOOK = HERE.parent / "book"
SHARED = {"money", "models", "issues"}
RULES = ["validation", "pricing", "credit", "reservation", "shipping", "invoicing"]


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


def test_rule_modules_import_only_money_models_issues():
    for name in RULES:
        siblings, _ = _imports(HERE / f"{name}.py")
        assert siblings <= SHARED, f"domain/{name}.py imports {sorted(siblings - SHARED)}"


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


def test_each_book_engine_imports_only_its_own_workbook_library():
    for engine, own in ENGINES.items():
        folder = BOOK / engine
        paths = sorted(folder.glob("*.py")) if folder.is_dir() else [BOOK / f"{engine}.py"]
        assert paths and all(path.exists() for path in paths), engine
        for path in paths:
            _, external = _imports(path)
            libraries = external & WORKBOOK_LIBRARIES
            assert libraries <= own, f"book/{path.relative_to(BOOK)} imports {sorted(libraries)}"


def test_the_xlsx_engine_needs_only_the_standard_library_defusedxml_and_calamine():
    allowed = set(sys.stdlib_module_names) | {"defusedxml", "python_calamine", "__future__"}
    for path in sorted((BOOK / "xlsx").glob("*.py")):
        _, external = _imports(path)
        assert external <= allowed, f"xlsx/{path.name} imports {sorted(external - allowed)}"


def test_the_checker_sees_a_forbidden_import(tmp_path):
    bad = tmp_path / "credit.py"
    bad.write_text("from .pricing import convert\nimport numpy\n")
    siblings, external = _imports(bad)
    assert siblings == {"pricing"} and external == {"numpy"}
