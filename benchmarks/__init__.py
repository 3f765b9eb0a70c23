"""Benchmarks for issue 9: a generator of realistic order books and a harness that times
ordersheet against the floor (python-calamine) and the baseline (openpyxl). Not part of the
installed package; run from the repository root (see benchmarks/README.md)."""
