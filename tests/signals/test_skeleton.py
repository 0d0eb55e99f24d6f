"""Prompt skeletons: templated prompts cluster by template, free-form prompts do not."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow as pa

from distillguard.signals import SkeletonIndex, SkeletonSignal, corpora


def _purity_completeness(ids: list[int], labels: list[int]) -> tuple[float, float]:
    by_id: dict[int, Counter[int]] = {}
    for i, y in zip(ids, labels, strict=True):
        by_id.setdefault(i, Counter())[y] += 1
    purity = sum(c.most_common(1)[0][1] for c in by_id.values()) / len(ids)
    by_label: dict[int, Counter[int]] = {}
    for i, y in zip(ids, labels, strict=True):
        by_label.setdefault(y, Counter())[i] += 1
    completeness = sum(c.most_common(1)[0][1] for c in by_label.values()) / len(ids)
    return purity, completeness


def test_templated_prompts_cluster_by_template(templated: tuple[list[str], list[int]]) -> None:
    texts, labels = templated
    free = corpora.bfcl_live()[:300] + corpora.truthfulqa()
    out = SkeletonSignal().compute(pa.table({"prompt": texts + free}))
    ids = out.column("template_id").to_pylist()
    purity, completeness = _purity_completeness(ids[: len(texts)], labels)
    assert purity >= 0.98
    assert completeness >= 0.9
    sizes = Counter(ids[len(texts) :])
    singleton_share = sum(1 for i in ids[len(texts) :] if sizes[i] <= 3) / len(free)
    assert singleton_share >= 0.85
    templated_groups = {i for i, n in Counter(ids[: len(texts)]).items() if n > 3}
    leaked = sum(1 for i in ids[len(texts) :] if i in templated_groups)
    assert leaked <= 0.03 * len(free)


def test_exact_skeleton_ignores_numbers_and_quotes() -> None:
    t = pa.table(
        {
            "prompt": [
                'Convert "hello world" to base64. Use 42 rounds.',
                'Convert "goodbye" to base64. Use 7 rounds.',
                "Convert hello to base64.",
            ]
        }
    )
    s = SkeletonSignal().compute(t).column("skeleton").to_pylist()
    assert s[0] == s[1] != s[2]


def test_index_merge_matches_single_pass(templated: tuple[list[str], list[int]]) -> None:
    texts, _ = templated
    a = pa.table({"prompt": texts[:500]})
    b = pa.table({"prompt": texts[500:]})
    whole = SkeletonIndex().update_batch(pa.table({"prompt": texts}))
    merged = SkeletonIndex().update_batch(a).merge(SkeletonIndex().update_batch(b))
    merged_rev = SkeletonIndex().update_batch(b).merge(SkeletonIndex().update_batch(a))
    full = pa.table({"prompt": texts})
    assert merged.template_ids(full).equals(whole.template_ids(full))
    assert merged_rev.template_ids(full).equals(whole.template_ids(full))


def test_a_persisted_index_keeps_template_ids_across_runs(
    templated: tuple[list[str], list[int]], tmp_path: Path
) -> None:
    # Run 1 sees the first half of the traffic and stores its index in the workspace.
    texts, labels = templated
    first = pa.table({"prompt": texts[:500]})
    _, ids_run1 = SkeletonIndex().update_and_assign(first)
    index = SkeletonIndex()
    index.update_and_assign(first)
    index.save(tmp_path / "templates.npz")
    # Run 2 sees the second half: with the stored index, a template seen in run 1 keeps its id.
    second = pa.table({"prompt": texts[500:]})
    _, ids_run2 = SkeletonIndex.load(tmp_path / "templates.npz").update_and_assign(second)
    run1 = Counter(zip(labels[:500], ids_run1.to_pylist(), strict=True))
    id_of_label = {y: i for (y, i), _ in sorted(run1.items(), key=lambda kv: kv[1])}
    kept = [
        ids_run2[k].as_py() == id_of_label[y]
        for k, y in enumerate(labels[500:])
        if y in id_of_label
    ]
    assert kept and sum(kept) / len(kept) >= 0.85  # template completeness is about 0.9
    # Without it, ids come from run 2 alone; the loaded index equals the saved one.
    assert len(SkeletonIndex.load(tmp_path / "templates.npz")) == len(index)
    assert len(SkeletonIndex.load(tmp_path / "missing.npz")) == 0
