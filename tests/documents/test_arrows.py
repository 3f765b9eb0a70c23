"""STYLE.md's arrows for documents/: it imports `domain` and itself, never `book`, `app`
or the entry points (the print sheet in `book` imports the model, not the other way);
the model needs nothing outside the standard library, so it runs wherever the domain does."""

import ast
import sys
from pathlib import Path

import ordersheet.documents as documents

HERE = Path(documents.__file__).parent


def _ours_and_external(path: Path) -> tuple[set[str], set[str]]:
    ours, external = set(), set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            ours.add("documents")
        elif isinstance(node, ast.ImportFrom) and node.level == 2:
            ours.add((node.module or "").split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module.startswith("ordersheet"):
            ours.add(node.module.split(".")[1] if "." in node.module else "ordersheet")
        elif isinstance(node, ast.ImportFrom):
            external.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            external |= {a.name.split(".")[0] for a in node.names}
    return ours, external


def test_documents_import_only_the_domain_and_themselves():
    for path in HERE.glob("*.py"):
        ours, _ = _ours_and_external(path)
        assert ours <= {"domain", "documents"}, f"documents/{path.name} imports {ours}"


def test_the_model_needs_only_the_standard_library():
    _, external = _ours_and_external(HERE / "model.py")
    assert external <= set(sys.stdlib_module_names) | {"__future__"}, external
