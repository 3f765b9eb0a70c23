"""Shared test helpers: small literal tables become records, as a specialist types them."""

import os

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
