"""Digest of what `run --dispatch` writes on the 10k benchmark book, twice (a second run
on the first run's output), with a fixed clock: sha256 over every zip member's name and
content (the zip container's own timestamps aside). Equal digests before and after a
change mean the change moved code without changing what users get (issue 17).

    python -m benchmarks.output_digest [OUT.xlsx]
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from benchmarks.generate import generate_book
from ordersheet import app, cli


def digest(out: Path) -> str:
    src = Path(tempfile.gettempdir()) / "ordersheet-digest-10k.xlsx"
    if not src.exists():
        generate_book(src, lines=10_000)
    shutil.copy(src, out)
    for day in (20, 21):
        port = cli.open_book(out)
        app.execute(port, "run", today=dt.date(2026, 11, day),
                    now=dt.datetime(2026, 11, day, 9), user="bench", dispatch=True)
        port.save(None)
    h = hashlib.sha256()
    with zipfile.ZipFile(out) as z:
        for name in sorted(z.namelist()):
            h.update(name.encode() + b"\0" + hashlib.sha256(z.read(name)).digest())
    return h.hexdigest()


if __name__ == "__main__":
    print(digest(Path(sys.argv[1] if len(sys.argv) > 1 else "digest-out.xlsx")))
