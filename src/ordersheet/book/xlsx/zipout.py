"""The new zip: members the save leaves alone are copied as their compressed bytes, new
parts are deflated, and worksheets are compressed as they are rendered, on a second
thread (`_Compressor`), straight into the file (`_PartStream`), so no sheet is held whole."""

from __future__ import annotations

import struct
import sys
import zipfile
import zlib
from typing import Callable

from ..port import WorkbookError
from .limits import ZIP_SIGNATURE


class _Compressing:
    """Raw deflate of a part written in pieces: pieces are gathered up to `batch` bytes and
    compressed together (`_take` says where the compressed bytes go); CRC-32 and size of
    what was written are kept for the zip entry."""

    batch = 1 << 20

    def _start(self, level: int) -> None:
        self._z = zlib.compressobj(level, zlib.DEFLATED, -15)
        self._pending: list[bytes] = []
        self._pending_len = 0
        self.crc = 0
        self.size = 0

    def write(self, b: bytes) -> None:
        self._pending.append(b)
        self._pending_len += len(b)
        if self._pending_len >= self.batch:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        pieces = self._pending
        self._pending = []
        self._pending_len = 0
        self._take(pieces)

    def _compress(self, pieces: list[bytes]) -> bytes:
        """CRC-32 and deflate of a batch of pieces. A big piece (a run of rows) goes to
        zlib as it is, and small ones are joined first: the batch is never copied whole
        into one string, which cost the main thread ~0.08 s per 100k-line save. (A
        deflate stream does not depend on how its input is cut.)"""
        out = []
        small: list[bytes] = []
        for piece in pieces:
            if len(piece) < _BIG_PIECE:
                small.append(piece)
                continue
            if small:
                out.append(self._deflate_one(b"".join(small)))
                small = []
            out.append(self._deflate_one(piece))
        if small:
            out.append(self._deflate_one(b"".join(small)))
        return b"".join(out)

    def _deflate_one(self, chunk: bytes) -> bytes:
        self.crc = zlib.crc32(chunk, self.crc)
        self.size += len(chunk)
        return self._z.compress(chunk)

    def _take(self, pieces: list[bytes]) -> None:
        raise NotImplementedError


_BIG_PIECE = 1 << 16
"""bytes from which a written piece is compressed on its own (fewer, larger zlib calls
below that)"""


class _Deflater(_Compressing):
    """A small new part's compressed bytes (styles, rels, notes...), kept until the zip is
    written. Worksheets do not go through here: they stream into the zip (`_PartStream`).
    `_Build.put` has the zip thread compress it (`fill`): the notes of a 100k-line run
    are megabytes at level 6."""

    def __init__(self, level: int):
        self._start(level)
        self._out: list[bytes] = []
        self.data = b""

    def _take(self, pieces: list[bytes]) -> None:
        out = self._compress(pieces)
        if out:
            self._out.append(out)

    def fill(self, data: bytes) -> "_Deflater":
        """The whole part at once."""
        self.write(data)
        return self.close()

    def close(self) -> "_Deflater":
        self._flush()
        self._out.append(self._z.flush())
        self.data = b"".join(self._out)
        self._out = []
        return self


_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01: new parts are reproducible byte for byte


class _ZipWriter:
    """A minimal zip writer: copies untouched members as raw compressed bytes (no
    recompression, so they stay byte-identical and cost nothing), and writes new ones,
    either from memory (`add`) or compressed as they are produced (`begin`)."""

    def __init__(self, f, worker: _Compressor | None = None):
        self.f = f
        self.central: list[bytes] = []
        self.worker = worker or _Compressor(synchronous=True)

    def _check(self, *n: int) -> None:
        if any(x >= 0xFFFFFFFF for x in n) or len(self.central) >= 0xFFFF:
            raise WorkbookError("the workbook would exceed 4 GB or 65,535 parts")

    def copy(self, src, info: zipfile.ZipInfo) -> None:
        src.seek(info.header_offset)
        head = src.read(30)
        if len(head) < 30 or head[:4] != ZIP_SIGNATURE:
            raise WorkbookError(f"part {info.filename} has a damaged header")
        (_sig, _ver, _flag, _method, mtime, mdate, _crc, _cs, _us, fnlen,
         xlen) = struct.unpack("<IHHHHHIIIHH", head)
        name = src.read(fnlen)
        src.seek(info.header_offset + 30 + fnlen + xlen)
        offset = self.f.tell()
        self._check(offset, info.compress_size, info.file_size)
        flags = info.flag_bits & ~0x8  # sizes go in the header: no data descriptor
        version = max(info.extract_version, 20)
        self.f.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, version, flags,
                                 info.compress_type, mtime, mdate, info.CRC,
                                 info.compress_size, info.file_size, len(name), 0) + name)
        left = info.compress_size
        while left:
            block = src.read(min(left, 1 << 20))
            if not block:
                raise WorkbookError(f"part {info.filename} is truncated")
            self.f.write(block)
            left -= len(block)
        self.central.append(struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, (info.create_system << 8) | 20, version,
            flags, info.compress_type, mtime, mdate, info.CRC, info.compress_size,
            info.file_size, len(name), 0, 0, 0, info.internal_attr, info.external_attr,
            offset) + name)

    @staticmethod
    def _stamp(name: str, like: zipfile.ZipInfo | None) -> tuple[bytes, int, int, int]:
        """(encoded name, flags, DOS time, DOS date) of a part written anew."""
        raw = name.encode("utf-8")
        flags = 0x800 if not raw.isascii() else 0
        mtime, mdate = 0, _DOS_DATE
        if like is not None:  # keep the member's timestamp
            y, mo, d, h, mi, s = like.date_time
            mdate = ((max(y, 1980) - 1980) << 9) | (mo << 5) | d
            mtime = (h << 11) | (mi << 5) | (s // 2)
        return raw, flags, mtime, mdate

    def _local(self, name: str, like: zipfile.ZipInfo | None, crc: int, csize: int,
               size: int) -> bytes:
        raw, flags, mtime, mdate = self._stamp(name, like)
        return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, 8, mtime, mdate, crc,
                           csize, size, len(raw), 0) + raw

    def _entry(self, name: str, like: zipfile.ZipInfo | None, crc: int, csize: int,
               size: int, offset: int) -> bytes:
        raw, flags, mtime, mdate = self._stamp(name, like)
        ext = like.external_attr if like is not None else 0
        system = like.create_system if like is not None else 0
        return struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, (system << 8) | 20, 20, flags, 8, mtime,
            mdate, crc, csize, size, len(raw), 0, 0, 0, 0, ext, offset) + raw

    def add(self, name: str, part: _Deflater, like: zipfile.ZipInfo | None = None) -> None:
        offset = self.f.tell()
        self._check(offset, len(part.data), part.size)
        self.f.write(self._local(name, like, part.crc, len(part.data), part.size))
        self.f.write(part.data)
        self.central.append(self._entry(name, like, part.crc, len(part.data), part.size,
                                        offset))

    def begin(self, name: str, like: zipfile.ZipInfo | None, level: int) -> "_PartStream":
        return _PartStream(self, name, like, level)

    def close(self, comment: bytes = b"") -> None:
        if len(self.central) > 0xFFFF:
            raise WorkbookError("the workbook would exceed 4 GB or 65,535 parts")
        start = self.f.tell()
        for c in self.central:
            self.f.write(c)
        size = self.f.tell() - start
        self._check(start, size)
        comment = comment[:0xFFFF]
        self.f.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(self.central),
                                 len(self.central), size, start, len(comment)) + comment)


_STREAM_BATCH = 4 << 20
"""bytes of XML per hand-over to the compressing thread when streaming a part (large:
the thread needs the GIL only to start each zlib call)"""


_SWITCH_INTERVAL = 0.0005
"""seconds the main thread may keep the GIL while the zip thread asks for it (Python's
default is 0.005)"""


class _Compressor:
    """The second thread of a save: CRC, deflate and file writes of the streamed parts,
    in the order they were queued. zlib and file writes release the GIL, so a sheet's
    compression runs on the other core while the next rows are rendered; at most a few
    batches wait in the queue, so memory stays small. Without threads (or with a
    `synchronous` writer) every task runs at once instead.

    The zip thread needs the GIL back after each zlib call, and the main thread, busy
    rendering, lets it go only every switch interval: at the default 5 ms the zip thread
    fell behind and the main thread waited on the full queue (a 100k-line save took about
    3.9 s against 3.2 s). While the thread runs, the interval is 0.5 ms (restored by
    `stop`)."""

    def __init__(self, synchronous: bool = False):
        self.error: BaseException | None = None
        self._q: "queue.Queue | None" = None
        self._thread: "threading.Thread | None" = None
        self._switch: float | None = None
        if not synchronous:
            try:
                import queue
                import threading

                self._q = queue.Queue(maxsize=2)
                self._thread = threading.Thread(target=self._work, name="ordersheet-zip",
                                                daemon=True)
                self._thread.start()
            except (ImportError, RuntimeError):  # no threads here (Pyodide)
                self._q = self._thread = None
            else:
                self._switch = sys.getswitchinterval()
                sys.setswitchinterval(min(self._switch, _SWITCH_INTERVAL))

    def _work(self) -> None:
        q = self._q
        while True:
            task = q.get()
            try:
                if task is None:
                    return
                if self.error is None:
                    task()
            except BaseException as e:  # handed to the main thread by `wait`
                self.error = e
            finally:
                q.task_done()

    def submit(self, task: Callable[[], None]) -> None:
        if self.error is not None:
            self._raise()
        if self._q is None:
            task()
        else:
            self._q.put(task)

    def wait(self) -> None:
        """Until every queued task has run; re-raises a task's error."""
        if self._q is not None:
            self._q.join()
        if self.error is not None:
            self._raise()

    def _raise(self) -> None:
        err, self.error = self.error, None
        raise err

    def stop(self) -> None:
        if self._thread is not None:
            self._q.put(None)
            self._thread.join()
            self._q = self._thread = None
        if self._switch is not None:
            sys.setswitchinterval(self._switch)
            self._switch = None


class _PartStream(_Compressing):
    """A new part compressed straight into the zip being written, as it is produced, so
    no sheet is held whole (neither its XML nor its compressed bytes): the local header
    goes first and gets the CRC and sizes when the part ends (the file is seekable). The
    central directory entry waits in `entry` until the writer lists the parts in order.
    The compressing and writing happen in the zip's `_Compressor`, header and end
    included: its tasks run in order, so the next sheet is rendered while the zip thread
    still compresses the end of this one (`entry` is ready once the worker is waited
    for)."""

    batch = _STREAM_BATCH

    def __init__(self, zw: "_ZipWriter", name: str, like: zipfile.ZipInfo | None, level: int):
        self.zw = zw
        self.name = name
        self.like = like
        self.offset = 0
        self._start(level)
        self.csize = 0
        self.entry = b""
        zw.worker.submit(self._open)

    def _open(self) -> None:
        f = self.zw.f
        self.offset = f.tell()
        f.write(self.zw._local(self.name, self.like, 0, 0, 0))

    def _take(self, pieces: list[bytes]) -> None:
        self.zw.worker.submit(lambda: self._deflate(pieces))

    def _deflate(self, pieces: list[bytes]) -> None:
        out = self._compress(pieces)
        if out:
            self.zw.f.write(out)
            self.csize += len(out)

    def close(self) -> "_PartStream":
        self._flush()
        self.zw.worker.submit(self._finish)
        return self

    def _finish(self) -> None:
        out = self._z.flush()
        f = self.zw.f
        f.write(out)
        self.csize += len(out)
        end = f.tell()
        self.zw._check(self.offset, self.csize, self.size)
        f.seek(self.offset + 14)  # CRC-32, compressed and uncompressed size
        f.write(struct.pack("<III", self.crc, self.csize, self.size))
        f.seek(end)
        self.entry = self.zw._entry(self.name, self.like, self.crc, self.csize, self.size,
                                    self.offset)

    def abort(self) -> None:
        """Drop what was written of this part (it is written again another way)."""
        self._pending = []
        self.zw.worker.wait()
        self.zw.f.seek(self.offset)
        self.zw.f.truncate()
