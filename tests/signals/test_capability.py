"""Capability classifier on held-out corpus items and tool_count handling."""

from __future__ import annotations

import pyarrow as pa

from distillguard.signals import CapabilitySignal, capability, corpora


def test_heldout_accuracy_per_class() -> None:
    acc = capability.holdout_accuracy()
    for cls in ("coding", "software_engineering", "agentic_tool_use", "writing", "reasoning_math"):
        assert acc[cls] >= 0.8, (cls, acc)


def test_tools_attached_shift_towards_agentic() -> None:
    q = "Find me the cheapest flight from Boston to Denver next Friday and book it."
    t = pa.table({"prompt": [q, q], "tool_count": pa.array([0, 5], pa.int64())})
    out = CapabilitySignal().compute(t)
    assert out.column("capability").to_pylist()[1] == "agentic_tool_use"
    conf = out.column("capability_conf").to_pylist()
    assert all(0.0 <= c <= 1.0 for c in conf)


def test_gsm8k_heldout_is_math() -> None:
    qs = [q for q, _ in corpora.gsm8k()[-20:] if capability.is_holdout(q)] or [
        q for q, _ in corpora.gsm8k()[-5:]
    ]
    out = CapabilitySignal().compute(pa.table({"prompt": qs}))
    caps = out.column("capability").to_pylist()
    assert caps.count("reasoning_math") >= 0.7 * len(caps)
