"""Doctest collection for the gateway package: the LiteLLM guardrail module is collected only
where ``litellm`` is installed (it is an optional extra), and never downloads a cost map."""

import os
from importlib.util import find_spec

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

collect_ignore = [] if find_spec("litellm") else ["litellm_guardrail.py"]
