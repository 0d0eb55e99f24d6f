"""Pipeline: wire the stages together for the detect and demo commands."""

__all__: list[str] = []
