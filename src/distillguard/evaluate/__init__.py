"""Evaluate: score detections against simulator ground truth."""

__all__: list[str] = []
