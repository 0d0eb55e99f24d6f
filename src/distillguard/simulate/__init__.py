"""Simulate: labelled API traffic with legitimate personas and distillation campaigns, for tests
and benchmarks. Detector code never imports this package.
"""

__all__: list[str] = []
