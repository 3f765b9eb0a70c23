"""ordersheet: order automation that lives inside an Excel order book."""

__version__ = "0.1.0"
