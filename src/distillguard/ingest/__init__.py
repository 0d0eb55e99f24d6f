"""Ingest: read request logs (Parquet, JSON Lines, OTel GenAI spans, LiteLLM, OpenAI-style gateway
logs) into the canonical schema, quarantining bad rows.
"""

__all__: list[str] = []
