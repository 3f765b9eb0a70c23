"""Refusing hostile packages before they are parsed.

An order book is a business's memory, so every check here fails closed with a one-line
`WorkbookError` (CLI exit 2):

- `sniff` refuses what is not a zip package (an encrypted book, an old .xls), naming it;
- `inspect_zip_infos` checks a package from its zip directory alone (sizes, ratios, member
  count, encryption) before any part is decompressed; `read_member` decompresses one part
  with a hard cap, so a directory that lies about sizes is caught after `cap` bytes;
- `parse_xml` parses small parts with DTDs (and so entity bombs) forbidden;
  `forbid_dtd_prolog` checks the prolog of a part a native parser reads.

`Limits` holds the caps. Stdlib + defusedxml only. A sheet's used range is bounded by
`scan`."""

from __future__ import annotations

import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..port import WorkbookError


CFB_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
"""OLE compound file: a password-protected (encrypted) .xlsx, or an old .xls."""
ZIP_SIGNATURE = b"PK\x03\x04"

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What a workbook may claim before ordersheet refuses to open it. The defaults are
    far above a year of orders (a 100,000-line book is ~8 MB, its largest part ~50 MB)."""

    max_file_bytes: int = 512 * MiB
    max_members: int = 10_000
    max_part_bytes: int = 512 * MiB
    """uncompressed size of any one part (a 100k x 24 sheet is ~80 MB)"""
    max_total_bytes: int = 2048 * MiB
    max_ratio: int = 400
    """compression ratio allowed for parts above `ratio_floor` bytes (XML is ~10-50x)"""
    ratio_floor: int = 4 * MiB
    max_shared_strings_bytes: int = 64 * MiB
    max_shared_strings_count: int = 5_000_000
    max_small_part_bytes: int = 32 * MiB
    """workbook.xml, rels, styles, tables, comments: parsed whole"""
    max_cells: int = 20_000_000
    """bounding box of a sheet's used range, in cells"""


DEFAULT_LIMITS = Limits()


def _mb(n: int) -> str:
    return f"{n / MiB:,.0f} MB" if n >= MiB else f"{n:,} bytes"


def sniff(path: Path) -> None:
    """Refuse what is not a zip package, naming the likely cause."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(8)
    except FileNotFoundError:
        raise WorkbookError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise WorkbookError(f"{path}: is a folder, not a workbook") from None
    except OSError as e:
        raise WorkbookError(f"{path}: cannot be read ({e.strerror})") from None
    suffix = path.suffix.lower()
    if head == CFB_SIGNATURE:
        if suffix in (".xls", ".xlt"):
            raise WorkbookError(f"{path.name} is an old Excel 97-2003 workbook: open it in "
                                "Excel, save it as .xlsx and run ordersheet on that")
        raise WorkbookError(f"{path.name} is password-protected (or an old .xls file "
                            "renamed): save it as an .xlsx workbook without a password "
                            "and run again")
    if head[:4] != ZIP_SIGNATURE:
        raise WorkbookError(f"{path.name} is not an .xlsx workbook ({_what(head)})")
    if suffix in (".xls", ".xlt", ".xlsb", ".ods", ".csv", ".txt"):  # named as another format
        raise WorkbookError(f"{path.name} is an .xlsx workbook with a {path.suffix}"
                            f" extension: rename it to {path.stem}.xlsx and run again")
    if size > DEFAULT_LIMITS.max_file_bytes:
        raise WorkbookError(f"{path.name} is {_mb(size)}: larger than ordersheet opens "
                            f"({_mb(DEFAULT_LIMITS.max_file_bytes)})")


def _what(head: bytes) -> str:
    """What a file that is not a zip package probably is, from its first bytes."""
    if head.startswith(b"%PDF"):
        return "it is a PDF"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text[:1] == b"<":
        return "it is HTML or XML, perhaps a web page saved with an .xlsx name"
    if not head:
        return "it is empty"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "it is not a zip package"
    return "it is a text file, perhaps CSV: open it in Excel and save it as .xlsx"


def inspect_zip_infos(infos: list[zipfile.ZipInfo], name: str,
                      limits: Limits = DEFAULT_LIMITS, shared_strings: str | None = None) -> None:
    """Check the zip directory: refuse zip bombs before decompressing anything."""
    if len(infos) > limits.max_members:
        raise WorkbookError(f"{name} has {len(infos):,} parts: not a workbook ordersheet "
                            "will open (possible zip bomb)")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise WorkbookError(f"{name} is encrypted: save it without a password")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise WorkbookError(f"{name}: part {info.filename} uses an unsupported "
                                "compression method")
        size = info.file_size
        total += size
        if size > limits.max_part_bytes:
            raise WorkbookError(f"{name}: part {info.filename} unpacks to {_mb(size)} "
                                f"(limit {_mb(limits.max_part_bytes)})")
        is_sst = info.filename == shared_strings if shared_strings else \
            info.filename.lower().rsplit("/", 1)[-1] == "sharedstrings.xml"
        if is_sst and size > limits.max_shared_strings_bytes:
            raise WorkbookError(f"{name}: its shared strings unpack to {_mb(size)} "
                                f"(limit {_mb(limits.max_shared_strings_bytes)})")
        if size > limits.ratio_floor and size > limits.max_ratio * max(info.compress_size, 1):
            raise WorkbookError(
                f"{name}: part {info.filename} unpacks {size // max(info.compress_size, 1):,}"
                " times larger than it is stored (possible zip bomb)")
    if total > limits.max_total_bytes:
        raise WorkbookError(f"{name} unpacks to {_mb(total)} "
                            f"(limit {_mb(limits.max_total_bytes)}): possible zip bomb")


def iter_member(fp, info: zipfile.ZipInfo, cap: int, chunk: int = 4 * MiB) -> Iterator[bytes]:
    """Decompress one part from the open package file `fp` in chunks, refusing it as soon
    as it exceeds what the zip directory declared or `cap`: a directory may lie, the
    inflater cannot. The CRC is checked at the end."""
    limit = min(cap, info.file_size)
    if info.file_size == 0:
        return
    fp.seek(info.header_offset)
    header = fp.read(30)
    if len(header) < 30 or header[:4] != ZIP_SIGNATURE:
        raise WorkbookError(f"part {info.filename} has a damaged header")
    fnlen, xlen = struct.unpack("<HH", header[26:30])
    fp.seek(info.header_offset + 30 + fnlen + xlen)
    left = info.compress_size
    crc = 0
    produced = 0
    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size != info.file_size:
            raise WorkbookError(f"part {info.filename} has inconsistent sizes")
        while left > 0:
            block = fp.read(min(left, chunk))
            if not block:
                raise WorkbookError(f"part {info.filename} is truncated")
            left -= len(block)
            crc = zlib.crc32(block, crc)
            yield block
    else:
        d = zlib.decompressobj(-15)
        while not d.eof:
            if d.unconsumed_tail:
                block = d.unconsumed_tail
            else:
                if left <= 0:
                    raise WorkbookError(f"part {info.filename} is truncated")
                block = fp.read(min(left, 1 * MiB))
                if not block:
                    raise WorkbookError(f"part {info.filename} is truncated")
                left -= len(block)
            try:
                out = d.decompress(block, chunk)
            except zlib.error:
                raise WorkbookError(f"part {info.filename} is damaged") from None
            produced += len(out)
            if produced > limit:
                if produced > info.file_size:
                    raise WorkbookError(f"part {info.filename} unpacks to more than its zip "
                                        "directory declares (possible zip bomb)")
                raise WorkbookError(f"part {info.filename} is larger than allowed "
                                    f"({_mb(limit)})")
            if out:
                crc = zlib.crc32(out, crc)
                yield out
        if produced != info.file_size:
            raise WorkbookError(f"part {info.filename} does not match its declared size")
    if crc != info.CRC:
        raise WorkbookError(f"part {info.filename} is damaged (CRC mismatch)")


def read_member(fp, info: zipfile.ZipInfo, cap: int) -> bytes:
    """A whole part, with the same caps as `iter_member`."""
    if info.file_size > cap:
        raise WorkbookError(f"part {info.filename} is {_mb(info.file_size)} "
                            f"(limit {_mb(cap)})")
    return b"".join(iter_member(fp, info, cap))


def parse_xml(data: bytes, what: str):
    """Parse a small XML part into an ElementTree element, with DTDs forbidden: no entity
    expansion, no external entities (the billion-laughs and XXE attacks)."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        return fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise WorkbookError(f"{what} declares a DTD or XML entities: refused "
                            "(possible entity bomb)") from None
    except ParseError as e:
        raise WorkbookError(f"{what} is not well-formed XML ({e})") from None


def forbid_dtd_prolog(data: bytes, what: str) -> None:
    """A DTD can only appear before the root element: check the prolog of a part that a
    native parser (calamine) reads, without parsing the body."""
    head = data[:4096] if isinstance(data, bytes) else bytes(data[:4096])
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise WorkbookError(f"{what} declares a DTD or XML entities: refused "
                            "(possible entity bomb)")


__all__ = ["Limits", "DEFAULT_LIMITS", "sniff", "inspect_zip_infos", "iter_member",
           "read_member", "parse_xml", "forbid_dtd_prolog"]
