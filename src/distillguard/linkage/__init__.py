"""Linkage: evidence edges between accounts (shared infrastructure, payment, templates,
synchronised activity, shard-alike distributions).
"""

__all__: list[str] = []
