"""Accounts: per-account behaviour features and anomaly scores, relative to the population and to
the account's organisation.
"""

__all__: list[str] = []
