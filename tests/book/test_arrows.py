"""STYLE.md's arrows for book/: the workbook boundary imports the domain, the documents'
content model and itself, never `app` or an entry point; nothing imports `excel` or `cli`;
and `schema` (which the xlwings engine and the custom functions use inside xlwings Lite)
needs nothing but the standard library, the domain and the raw-sheet values."""

import ast
import sys
from pathlib import Path

import ordersheet

SRC = Path(ordersheet.__file__).parent
BOOK = SRC / "book"


def _ours_and_external(path: Path, root: Path = SRC) -> tuple[set[str], set[str]]:
    """(our modules imported, as dotted paths under `ordersheet`; top-level packages
    imported from outside). `root` is the `ordersheet` package folder."""
    package = list(path.relative_to(root).parent.parts)
    ours, external = set(), set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                module = package[:len(package) - (node.level - 1)]
                module += node.module.split(".") if node.module else []
            elif node.module.partition(".")[0] == "ordersheet":
                module = node.module.split(".")[1:]
            else:
                external.add(node.module.partition(".")[0])
                continue
            if module:
                ours.add(".".join(module))
            if not node.module or not module:  # `from . import x`, `from ordersheet import x`
                ours |= {".".join(module + [a.name]) for a in node.names}
        elif isinstance(node, ast.Import):
            for a in node.names:
                top, _, rest = a.name.partition(".")
                (ours.add(rest) if top == "ordersheet" else external.add(top))
    return ours, external


def _under(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_book_imports_only_the_domain_the_documents_and_itself():
    paths = sorted(BOOK.rglob("*.py"))
    assert BOOK / "schema" / "parse.py" in paths  # the schema package is covered
    for path in paths:
        ours, _ = _ours_and_external(path)
        wrong = {m for m in ours if not _under(m, "book", "domain", "documents")}
        assert not wrong, f"{path.relative_to(SRC)} imports {sorted(wrong)}"


def test_nothing_imports_the_entry_points():
    for path in sorted(SRC.rglob("*.py")):
        ours, _ = _ours_and_external(path)
        wrong = {m for m in ours if _under(m, "excel", "cli")}
        assert not wrong, f"{path.relative_to(SRC)} imports {sorted(wrong)}"


def test_the_schema_needs_only_the_standard_library_the_domain_and_raw_values():
    paths = sorted((BOOK / "schema").glob("*.py"))
    assert len(paths) > 1
    for path in paths:
        ours, external = _ours_and_external(path)
        wrong = {m for m in ours if not _under(m, "domain", "book.schema", "book.raw")}
        assert not wrong, f"schema/{path.name} imports {sorted(wrong)}"
        assert external <= set(sys.stdlib_module_names) | {"__future__"}, (path.name, external)


def test_the_checker_resolves_our_imports(tmp_path):
    path = tmp_path / "book" / "schema" / "x.py"
    path.parent.mkdir(parents=True)
    path.write_text("from ...domain import models\nfrom ..raw import a1\nfrom . import coerce\n"
                    "from ordersheet import excel\nfrom ordersheet.cli import main\n"
                    "import numpy.linalg\n")
    ours, external = _ours_and_external(path, root=tmp_path)
    assert ours == {"domain", "book.raw", "book.schema", "book.schema.coerce", "excel", "cli"}
    assert external == {"numpy"}


def test_only_the_command_line_imports_mail():
    """SMTP and .eml drafts (`mail.py`) are the command line's: xlwings Lite cannot open
    sockets, and the Lite bundle leaves the module out."""
    importers = sorted(str(p.relative_to(SRC)) for p in SRC.rglob("*.py")
                       if any(_under(m, "mail") for m in _ours_and_external(p)[0]))
    assert importers == ["cli.py"]
    from ordersheet.lite import DESKTOP_ONLY

    assert "mail.py" in DESKTOP_ONLY
