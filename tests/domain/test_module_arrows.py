"""STYLE.md's arrows: rule modules import only money/models/issues of ours; only
`pipeline` chains the steps; the domain imports nothing outside the standard library,
pydantic and babel (pure Python, optional in money.py): it runs inside xlwings Lite."""

import ast
import sys
from pathlib import Path

import ordersheet.domain as domain

HERE = Path(domain.__file__).parent
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


def test_the_domain_needs_only_the_standard_library_and_pydantic():
    allowed = set(sys.stdlib_module_names) | {"pydantic", "babel", "__future__"}
    for path in HERE.glob("*.py"):
        _, external = _imports(path)
        assert external <= allowed, f"{path.name} imports {sorted(external - allowed)}"


def test_the_checker_sees_a_forbidden_import(tmp_path):
    bad = tmp_path / "credit.py"
    bad.write_text("from .pricing import convert\nimport numpy\n")
    siblings, external = _imports(bad)
    assert siblings == {"pricing"} and external == {"numpy"}
