"""The sheets a run adds to a new book come in one order, whatever Python's string-hash
seed: two runs of the same book give the same file (the A/B byte comparison of benchmark
outputs relies on it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

from ..bookfiles import basic_book

ROOT = Path(__file__).resolve().parents[2]


def test_a_new_books_sheets_do_not_depend_on_the_hash_seed(tmp_path):
    orders = []
    for seed in ("1", "5"):  # a set of the append-only sheet names iterates both ways
        path = basic_book(tmp_path / f"book-{seed}.xlsx")
        path_ = os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=path_)
        subprocess.run([sys.executable, "-m", "ordersheet.cli", "run", str(path), "--today",
                        "2026-11-03", "--dispatch"], env=env, check=True, capture_output=True)
        orders.append(load_workbook(path, read_only=True).sheetnames)
    assert orders[0] == orders[1]
    assert orders[0].index("Stock Ledger") < orders[0].index("Audit Log")
