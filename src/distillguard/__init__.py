"""distillguard: find distillation campaigns in LLM API request logs.

The pipeline, one package per stage, each working on Arrow tables or DuckDB relations:

    ingest -> signals (per request) -> accounts (per account) -> linkage (across accounts)
           -> campaigns -> report / evaluate

``simulate`` produces labelled traffic for tests and benchmarks; detector code never imports it.
"""

from distillguard.errors import ConfigError, DistillguardError, InputError
from distillguard.schema import REQUEST_SCHEMA, REQUIRED_FIELDS, SCHEMA_VERSION

__version__ = "0.1.0"

__all__ = [
    "REQUEST_SCHEMA",
    "REQUIRED_FIELDS",
    "SCHEMA_VERSION",
    "ConfigError",
    "DistillguardError",
    "InputError",
    "__version__",
]
