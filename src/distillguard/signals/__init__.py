"""Signals: per-request features (reasoning-trace elicitation, capability, prompt skeleton
fingerprints), vectorised over Arrow batches.
"""

__all__: list[str] = []
