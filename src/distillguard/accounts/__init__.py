"""Accounts: per-account behaviour features and anomaly scores, relative to the population and to
the account's organisation.

Stage functions: :func:`account_table` (one row per account from the request table) and
:func:`score_accounts` (harvest levels once the text signals' summary is joined).
:class:`AccountState` keeps the per-account aggregates as mergeable partials for windows.
"""

from distillguard.accounts.state import AccountState
from distillguard.accounts.table import account_table, derive_account_columns, score_accounts

__all__ = ["AccountState", "account_table", "derive_account_columns", "score_accounts"]
