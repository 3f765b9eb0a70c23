"""A worksheet part read in pieces (`_SheetStream`): the head before <sheetData>, runs of
whole rows, the tail; with the checks of `xmltext._trusted` made on the way."""

from __future__ import annotations

import re
from typing import Iterable, Iterator

from ..port import WorkbookError
from .xmltext import _UNUSUAL


class _Untrusted(Exception):
    """A part our byte-level splicing cannot take as it is streamed: it goes the
    whole-part way instead (`_trusted`, which normalises or refuses it)."""


_ROOT = re.compile(rb"<([\w.\-]+:)?worksheet[\s/>]")
_ENCODING_UTF8 = re.compile(rb"<\?xml[^>]*encoding=[\"'](?:utf-8|UTF-8)[\"']")


class _SheetStream:
    """A worksheet part read in pieces, so a 100,000-row sheet is never held whole:
    `head` (everything before <sheetData>), then `rows()` (runs of whole rows with the
    text between them, in order), then `tail` (everything after </sheetData>). On the way
    it checks what `_trusted` checks, and raises `_Untrusted` where that would normalise
    the part."""

    def __init__(self, chunks: Iterable[bytes], what: str, trusted: bool = False):
        self.what = what
        self._it = iter(chunks)
        self._trusted = trusted
        self._edge = b""
        self.tail = b""
        buf = b""
        checked = trusted
        P: bytes | None = None
        m = None
        while True:
            nxt = self._next()
            if nxt is not None:
                buf += nxt
            if not checked and (len(buf) >= 4096 or nxt is None):
                self._check_prolog(buf)
                checked = True
            if checked:
                if P is None:
                    root = _ROOT.search(buf, 0, 65536)
                    if root is not None:
                        P = root.group(1) or b""
                    elif len(buf) >= 65536 or nxt is None:
                        raise WorkbookError("part has no <worksheet> element")
                if P is not None:
                    m = re.search(rb"<" + re.escape(P) + rb"sheetData(?=[\s/>])[^>]*?(/?)>", buf)
                    if m is not None:
                        break
            if nxt is None:
                break
        if m is None or P is None:
            raise WorkbookError("worksheet has no <sheetData>")
        self.P = P
        self.head = buf[:m.start()]
        self.sd_tag = m.group(0)
        self.empty = bool(m.group(1))
        self.close = b"</" + P + b"sheetData>"
        self.row_end = b"</" + P + b"row>"
        self._rest = buf[m.end():]

    def _check_prolog(self, buf: bytes) -> None:
        head = buf[:200]
        enc_ok = not head.startswith((b"\xff\xfe", b"\xfe\xff")) and (
            not head.startswith(b"<?xml") or _ENCODING_UTF8.match(head) is not None
            or b"encoding" not in head.split(b"?>")[0])
        prolog = buf[:4096]
        if not enc_ok or b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog:
            raise _Untrusted

    def _next(self) -> bytes | None:
        for chunk in self._it:
            if not chunk:
                continue
            if not self._trusted:
                self._scan(chunk)
            return chunk
        if not self._trusted and _UNUSUAL.search(self._edge) is not None:
            raise _Untrusted  # at the very end of the part
        self._trusted = True  # checked to the end
        return None

    def _scan(self, chunk: bytes) -> None:
        """`_UNUSUAL` over the pieces as over the whole part: a match is decided once six
        bytes follow it (`<?xml ` is usual), so one too near a piece's end waits for the
        next piece, which is searched together with the last bytes of this one."""
        edge = self._edge
        if edge:
            window = edge + chunk[:16]
            for m in _UNUSUAL.finditer(window):
                if m.start() >= len(edge):
                    break  # starts in this piece: searched below
                if m.start() + 6 <= len(window):
                    raise _Untrusted
        starts = [k for k in (chunk.find(b"<!"), chunk.find(b"<?")) if k >= 0]
        if starts:
            m = _UNUSUAL.search(chunk, min(starts))
            if m is not None and m.start() + 6 <= len(chunk):
                raise _Untrusted
        self._edge = (edge + chunk)[-16:] if len(chunk) < 16 else chunk[-16:]

    def _drain(self) -> bytes:
        parts = []
        while (nxt := self._next()) is not None:
            parts.append(nxt)
        return b"".join(parts)

    def rows(self) -> Iterator[bytes]:
        buf, self._rest = self._rest, b""
        if self.empty:
            self.tail = buf + self._drain()
            return
        close, row_end = self.close, self.row_end
        while True:
            e = buf.find(close)
            if e >= 0:
                if e:
                    yield buf[:e]
                self.tail = buf[e + len(close):] + self._drain()
                return
            k = buf.rfind(row_end)
            if k >= 0:
                k += len(row_end)
                yield buf[:k]
                buf = buf[k:]
            nxt = self._next()
            if nxt is None:
                raise WorkbookError("worksheet <sheetData> is not closed")
            buf += nxt
