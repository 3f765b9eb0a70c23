"""The package: the zip directory of a book, bounded access to its parts (each inflated
under the caps of `limits`), the relationships between parts, and what the engine knows
of each sheet (`_Sheet`: its part, relationships and Excel Tables)."""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..port import WorkbookError
from ..raw import split_a1
from .limits import Limits, MiB, iter_member, parse_xml, read_member, sniff


@dataclass
class _Rel:
    id: str
    type: str
    target: str
    """part name (no leading slash) for internal targets, else the URL"""
    external: bool = False


@dataclass
class _Table:
    path: str
    rid: str
    id: int
    name: str
    display: str
    ref: str
    header_rows: int
    totals_rows: int
    columns: list[str]


@dataclass
class _Sheet:
    name: str
    sheet_id: int
    rid: str
    state: str | None
    path: str | None
    kind: str
    """worksheet, chartsheet, dialogsheet or macrosheet"""
    rels: list[_Rel] = field(default_factory=list)
    tables: list[_Table] = field(default_factory=list)

    @property
    def rels_path(self) -> str:
        d, f = posixpath.split(self.path or "")
        return posixpath.join(d, "_rels", f + ".rels")


def _resolve(source_part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    base = posixpath.dirname(source_part)
    return posixpath.normpath(posixpath.join(base, target)).lstrip("/")


def _relative(source_part: str, target_part: str) -> str:
    return posixpath.relpath(target_part, posixpath.dirname(source_part) or ".")


def _parse_rels(data: bytes, source_part: str, what: str) -> list[_Rel]:
    root = parse_xml(data, what)
    out = []
    for el in root:
        if not el.tag.endswith("Relationship"):
            continue
        ext = el.get("TargetMode") == "External"
        target = el.get("Target", "")
        out.append(_Rel(el.get("Id", ""), el.get("Type", ""),
                        target if ext else _resolve(source_part, target), ext))
    return out


class _Package:
    """The zip directory of a book, and bounded access to its parts."""

    def __init__(self, path: Path, limits: Limits):
        self.path = path
        self.limits = limits
        sniff(path)
        try:
            with zipfile.ZipFile(path) as zf:
                infos = zf.infolist()
                self.comment = zf.comment
        except zipfile.BadZipFile:
            raise WorkbookError(f"{path.name} is not an .xlsx workbook (damaged zip)") from None
        except (OSError, ValueError, NotImplementedError) as e:
            raise WorkbookError(f"{path.name} cannot be read ({e})") from None
        self.infos = infos
        self.by_name: dict[str, zipfile.ZipInfo] = {}
        lower: set[str] = set()
        for info in infos:
            key = info.filename.lower()
            if key in lower:
                raise WorkbookError(f"{path.name} holds the part {info.filename} twice: "
                                    "refused (damaged or crafted package)")
            lower.add(key)
            self.by_name[info.filename] = info
        self._lower = {k.lower(): k for k in self.by_name}
        st = path.stat()
        self.identity = (st.st_size, st.st_mtime_ns, getattr(st, "st_ino", 0))

    def find(self, name: str) -> str | None:
        return self._lower.get(name.lstrip("/").lower())

    def info(self, name: str) -> zipfile.ZipInfo:
        real = self.find(name)
        if real is None:
            raise WorkbookError(f"{self.path.name}: part {name} is missing")
        return self.by_name[real]

    def read(self, name: str, cap: int | None = None) -> bytes:
        info = self.info(name)
        with open(self.path, "rb") as fp:
            return read_member(fp, info, cap or self.limits.max_small_part_bytes)

    def read_head(self, name: str, n: int = 65536) -> bytes:
        info = self.info(name)
        out = b""
        with open(self.path, "rb") as fp:
            for block in iter_member(fp, info, self.limits.max_part_bytes, chunk=n):
                out += block
                if len(out) >= n:
                    break
        return out

    def iter(self, name: str, chunk: int = 4 * MiB):
        info = self.info(name)
        with open(self.path, "rb") as fp:
            yield from iter_member(fp, info, self.limits.max_part_bytes, chunk)


def _table_of(sheet: Any) -> tuple[Any, tuple[int, int, int, int]]:
    """The sheet's (first) Excel Table and its range as (row1, col1, row2, col2); (None,
    zeros) when it has none or its `ref` cannot be read."""
    table = sheet.tables[0] if sheet.tables else None
    if table is not None:
        try:
            a, _, b = table.ref.partition(":")
            (r1, c1), (r2, c2) = split_a1(a), split_a1(b or a)
            return table, (r1, c1, r2, c2)
        except ValueError:
            pass
    return None, (0, 0, 0, 0)
