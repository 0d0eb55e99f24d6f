"""Report: render detections as HTML for a person."""

__all__: list[str] = []
