"""The xlwings Lite add-in as files to paste: `main.py` and `requirements.txt`.

ordersheet is on no package index, so xlwings Lite cannot install it by name. The
`main.py` written here carries the package itself: a wheel of the modules xlwings Lite
runs, built from the files of this very package (a checkout or an installed copy alike),
embedded as base64 and unpacked into Pyodide's file system on import, before the scripts
and custom functions are imported for xlwings Lite to list. `requirements.txt` names only
what the Lite side needs from outside: xlwings, pydantic (built into Pyodide) and babel
(pure Python), all on PyPI.

The other route: host the wheel (`wheel()`) at an https URL that allows xlwings Lite to
fetch it (CORS), put that URL in `requirements.txt`, and paste the thin `main.py` (only the
imports; that is `addin/lite/main.py` in the repository).

Standard library only, no network: `ordersheet lite` must work wherever ordersheet's
files are. Nothing of ordersheet is imported here: the names xlwings Lite lists are read
from `excel.py`'s source, so building the add-in loads no xlwings.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import inspect
import io
import zipfile
from pathlib import Path

from . import __version__

PACKAGE = Path(__file__).resolve().parent
NAME = "ordersheet"

REQUIREMENTS = ("xlwings>=0.33", "pydantic>=2.5", "babel>=2.12")
"""What `ordersheet.excel` needs besides the standard library, as pyproject.toml bounds
them (a test keeps the two in step): xlwings for the book and the decorators, pydantic
for the records (built into Pyodide), babel for currency digits (pure Python)."""

DESKTOP_ONLY = (
    "cli.py",                    # the command line (typer, rich)
    "lite.py",                   # this builder
    "book/xlsx/",                # the .xlsx file engine (python-calamine, defusedxml)
    "book/openpyxl_engine.py",   # the reference .xlsx engine (openpyxl)
    "book/files.py",             # file locks and atomic saves of .xlsx files
    "book/templates.py",         # `ordersheet new` (openpyxl)
    "book/sample.py",            # the sample data of `new --sample` and `demo`
    "documents/pdf.py",          # PDFs (fpdf2): xlwings Lite shows documents on print sheets
    "documents/fonts.py",        # the PDFs' fonts (fontTools) ...
    "documents/fonts/",          # ... and the font files (1.4 MB)
    "mail.py",                   # SMTP and .eml drafts: Lite cannot open sockets (mailto links)
    "documents/statement.py",    # the customer statement PDF (`ordersheet statement`)
    "demo.py",                   # what `ordersheet demo` says of each step
)
"""Parts of the package xlwings Lite never imports (a test checks it): left out of the
embedded wheel, which halves main.py."""

MARK = '"""ordersheet for xlwings Lite'
"""How every main.py written here begins; `write` replaces only files that begin so."""

WHEEL_DATE = (1980, 1, 1, 0, 0, 0)
"""Every member's time stamp: the same files give the same wheel, byte for byte."""


class LiteError(Exception):
    """The files cannot be written where asked (the CLI prints it and exits 2)."""


# ---- the wheel -------------------------------------------------------------------------------


def package_files(root: Path = PACKAGE) -> list[tuple[str, bytes]]:
    """(path inside the wheel, content) of every module xlwings Lite may import."""
    out = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if (path.is_dir() or "__pycache__" in path.parts or path.suffix in (".pyc", ".pyo")
                or any(rel == d or (d.endswith("/") and rel.startswith(d))
                       for d in DESKTOP_ONLY)):
            continue
        out.append((f"{NAME}/{rel}", path.read_bytes()))
    return out


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode("ascii")


def wheel_name(version: str = __version__) -> str:
    return f"{NAME}-{version}-py3-none-any.whl"


def wheel(root: Path = PACKAGE, version: str = __version__) -> bytes:
    """A pure-Python wheel (PEP 427) of the Lite part of the package. Its metadata asks
    for the Lite requirements only, so micropip installs nothing the desktop needs."""
    info = f"{NAME}-{version}.dist-info"
    metadata = "\n".join([
        "Metadata-Version: 2.1", f"Name: {NAME}", f"Version: {version}",
        "Summary: ordersheet's xlwings Lite part: the Excel scripts and custom functions "
        "(no command line)",
        "Requires-Python: >=3.10",
        *(f"Requires-Dist: {r}" for r in REQUIREMENTS), "",
    ])
    wheel_meta = ("Wheel-Version: 1.0\nGenerator: ordersheet lite\nRoot-Is-Purelib: true\n"
                  "Tag: py3-none-any\n")
    members = package_files(root) + [(f"{info}/METADATA", metadata.encode()),
                                     (f"{info}/WHEEL", wheel_meta.encode())]
    record = "".join(f"{n},{_record_hash(d)},{len(d)}\n" for n, d in members)
    members.append((f"{info}/RECORD", (record + f"{info}/RECORD,,\n").encode()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members:
            member = zipfile.ZipInfo(name, WHEEL_DATE)
            member.external_attr = 0o644 << 16
            z.writestr(member, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buf.getvalue()


# ---- what runs inside xlwings Lite ------------------------------------------------------------


def unpack(wheel_b64: str, sha256: str) -> str:
    """Unpack the embedded wheel into the temporary folder of Pyodide's file system (once
    per Python session) and make it the `ordersheet` that `import` finds."""
    import base64
    import hashlib
    import importlib
    import io
    import os
    import sys
    import tempfile
    import zipfile

    home = os.path.join(tempfile.gettempdir(), "ordersheet-lite-" + sha256[:16])
    done = os.path.join(home, ".unpacked")
    if not os.path.exists(done):
        data = base64.b64decode(wheel_b64)
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ImportError("main.py: the ordersheet package inside this file is damaged; "
                              "paste main.py again")
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            z.extractall(home)
        open(done, "w").close()
    if home not in sys.path:
        sys.path.insert(0, home)
    # An ordersheet imported earlier in this session (a previous main.py, or one from
    # requirements.txt) is forgotten, so the import below loads the one in this file.
    for name in [n for n in sys.modules if n == "ordersheet" or n.startswith("ordersheet.")]:
        if not (getattr(sys.modules[name], "__file__", None) or "").startswith(home):
            del sys.modules[name]
    importlib.invalidate_caches()
    return home


def listed_names(root: Path = PACKAGE) -> list[str]:
    """The scripts and custom functions of `excel.py` (its `__all__`), read from the
    source so that building the add-in does not import xlwings."""
    tree = ast.parse((root / "excel.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if (isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)):
            return sorted(ast.literal_eval(node.value))
    raise LookupError("excel.py has no __all__")


def _imports(root: Path) -> str:
    names = "".join(f"    {n},\n" for n in listed_names(root))
    return ("from ordersheet.excel import (  # noqa: E402,F401 - xlwings Lite lists what "
            "main.py imports\n" + names + ")\n")


THIN_DOC = f'''{MARK}, to paste into the main.py tab.

This file only imports ordersheet's scripts (buttons) and custom functions, so that
xlwings Lite lists them; the code is the `ordersheet` package, the one the command line
uses. Paste it as it is when requirements.txt installs ordersheet from a hosted wheel
(`ordersheet lite DIR --wheel-url URL` writes both files and the wheel). Without a hosted
wheel, paste the main.py that `ordersheet lite DIR` writes instead: it carries the package.
"""
'''

BUNDLE_DOC = f'''{MARK} {{version}}: paste this whole file into the main.py tab, and
requirements.txt (written beside it by `ordersheet lite`) into the requirements.txt tab.

The ordersheet package is inside this file: the wheel below, base64, is unpacked into
Pyodide's file system on import, so nothing needs hosting. Do not edit it: run
`ordersheet lite` again to update. The imports at the end are what xlwings Lite lists:
the scripts (buttons) and the custom functions.
"""
'''


def main_py(root: Path = PACKAGE, *, bundle: bool = True, version: str = __version__) -> str:
    """main.py for xlwings Lite: with the package inside (`bundle`), or only the imports
    (ordersheet then comes from a hosted wheel named in requirements.txt)."""
    if not bundle:
        return THIN_DOC + "\n" + _imports(root)
    data = wheel(root, version)
    text = base64.b64encode(data).decode("ascii")
    lines = "\n".join(text[i:i + 76] for i in range(0, len(text), 76))
    return "".join([
        BUNDLE_DOC.format(version=version), "\n\n",
        inspect.getsource(unpack), "\n\n",
        f'unpack(\n    """\n{lines}\n""",\n    "{hashlib.sha256(data).hexdigest()}",\n)\n\n',
        _imports(root),
    ])


def requirements_txt(wheel_url: str | None = None) -> str:
    head = ["# requirements.txt for ordersheet in xlwings Lite (written by `ordersheet lite`).",
            "# xlwings Lite installs these with micropip: from PyPI, or Pyodide's own builds."]
    if wheel_url:
        head.append("# ordersheet itself comes from the hosted wheel on the last line.")
        return "\n".join(head + list(REQUIREMENTS) + [wheel_url]) + "\n"
    head.append("# ordersheet itself is inside main.py: it is on no package index.")
    return "\n".join(head + list(REQUIREMENTS)) + "\n"


# ---- writing the files -----------------------------------------------------------------------


def write(folder: Path, wheel_url: str | None = None, root: Path = PACKAGE) -> list[Path]:
    """Write main.py and requirements.txt into `folder` (made if missing; its parent must
    exist), plus the wheel to upload when `wheel_url` names where it will be hosted. A
    main.py that `ordersheet lite` did not write is never replaced."""
    if wheel_url is not None:
        if not wheel_url.lower().startswith(("https://", "http://")):
            raise LiteError(f"--wheel-url {wheel_url}: give the https:// address the wheel "
                            "will be served from")
        if not wheel_url.endswith(".whl"):
            raise LiteError(f"--wheel-url {wheel_url}: micropip installs a wheel only from an "
                            f"address ending in its file name, e.g. .../{wheel_name()}")
    if folder.exists() and not folder.is_dir():
        raise LiteError(f"{folder} is a file; give a folder for main.py and requirements.txt")
    if not folder.exists() and not (folder.parent if str(folder.parent) else Path(".")).is_dir():
        raise LiteError(f"{folder}: the folder {folder.parent} does not exist")
    main = folder / "main.py"
    if main.exists() and not main.read_text(encoding="utf-8", errors="replace").startswith(MARK):
        raise LiteError(f"{main} exists and was not written by `ordersheet lite`; "
                        "choose another folder")
    files = [(main, main_py(root, bundle=wheel_url is None).encode("utf-8")),
             (folder / "requirements.txt", requirements_txt(wheel_url).encode("utf-8"))]
    if wheel_url is not None:
        files.append((folder / wheel_name(), wheel(root)))
    try:
        folder.mkdir(exist_ok=True)
        for path, data in files:
            path.write_bytes(data)
    except OSError as e:
        raise LiteError(f"cannot write into {folder}: {e.strerror or e}") from None
    return [path for path, _ in files]
