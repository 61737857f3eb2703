"""The local web page: `costline serve` (see app.py)."""
