"""Degenerate LLM models are named in the report: shares of exact titles and distinct generations, distinct
self-play negatives, worked on hand-made run files."""

import json

import numpy as np
import pytest

from sprec.evaluation import health


def _write(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_a_degenerate_model_and_a_collapsed_iteration_are_warned_about(tmp_path):
    preds = tmp_path / "predictions"
    # 5 rows: 4 times "The (1994)", once another text; the recorded stats say none is a catalog title
    _write(preds / "bad.generations.jsonl", [{"row": i, "generated": ['"The (1994)"']} for i in range(4)]
           + [{"row": 4, "generated": ['"Heat (1995)"']}])  # fmt: skip
    _write(preds / "good.generations.jsonl", [{"row": i, "generated": [f'"Film {i}"']} for i in range(5)])
    metas = {"bad row": {"stats": {"exact_catalog_titles": 0}}, "good row": {"stats": {"exact_catalog_titles": 5}},
             "popularity": {}}  # fmt: skip
    paths = {"bad row": preds / "bad.json", "good row": preds / "good.json", "popularity": preds / "popularity.json"}
    _write(tmp_path / "models/sprec/iteration-1/pairs.jsonl",
           [{"history": [1], "chosen": c, "rejected": [7]} for c in range(12)])  # fmt: skip
    _write(tmp_path / "models/sprec/iteration-2/pairs.jsonl",
           [{"history": [1], "chosen": 0, "rejected": [c + 100]} for c in range(12)])  # fmt: skip
    gens, negs = health.run_health(tmp_path, paths, metas)
    assert [g["row"] for g in gens] == ["bad row", "good row"]  # popularity generates nothing
    bad = gens[0]
    assert (bad["exact_share"], bad["distinct_share"], bad["top_generation"]) == (0.0, 0.4, '"The (1994)"')
    assert bad["top_share"] == pytest.approx(0.8)
    assert [(n["iteration"], n["distinct_negatives"], n["top_item"]) for n in negs] == [("sprec t=1", 1, 7),
                                                                                        ("sprec t=2", 12, 100)]
    lines = health.warnings(gens, negs)
    assert len(lines) == 2 and "bad row is degenerate: 0%" in lines[0] and "'\"The (1994)\"' is 80%" in lines[0]
    assert "self-play sprec t=1 rejected only 1 distinct items in 12 pairs (item 7: 100%)" in lines[1]

    class Catalog:
        def title(self, i):
            return f"item {i}"

    text = health.section(gens, negs, Catalog())
    assert "| bad row | 0.0% | 40.0% |" in text and "| sprec t=1 | 12 | 1 | item 7 (100.0%) |" in text


def test_a_hybrid_that_gives_the_llm_no_weight_is_warned_about():
    metas = {"sasrec > sft": {"retriever": "sasrec", "weight": 0.0, "weight_from": "validation NDCG@10"},
             "sasrec > sprec t=2": {"retriever": "sasrec", "weight": 0.3}, "d3: sft (trie)": {"weight": 0.0},
             "sasrec": {}}  # fmt: skip
    lines = health.hybrid_warnings(metas)
    assert lines == ["WARNING: sasrec > sft is sasrec's list: the fusion weight of the LLM score is a = 0 "
                     "(validation NDCG@10), so the LLM changes nothing"]  # fmt: skip


def test_history_allowed_is_noted_only_when_the_data_almost_never_repeats_a_history_item():
    from types import SimpleNamespace as Row

    never = [Row(history=[1, 2, 3], target=4 + i) for i in range(200)]
    (note,) = health.history_repeat_note(never, history_allowed=True)
    assert note.startswith("NOTE: 0 of 200 training targets are one of their row's history items")
    assert health.history_repeat_note(never, history_allowed=False) == []
    # 2 repeats in 200 rows (1%) is not "almost never": rereading data keeps its history-allowed table unnoted
    often = never[:198] + [Row(history=[1, 2, 3], target=2), Row(history=[5], target=5)]
    assert health.history_repeat_note(often, history_allowed=True) == []
    assert health.history_repeat_note(never[:198] + [Row(history=[5], target=5), Row(history=[1], target=None)],
                                      history_allowed=True)[0].startswith("NOTE: 1 of 200")  # fmt: skip


def test_popularity_overlap_counts_shared_slots_whatever_their_order():
    from sprec.evaluation.health import popularity_overlap, popularity_warnings

    popular = np.array([[0, 1, 2], [0, 1, 3]])  # row 2 had item 2 in its history
    same_items = np.array([[2, 0, 1], [3, 1, 0]])  # popularity's lists reordered: overlap 1
    half = np.array([[0, 7, 8, 1], [9, 1, 0, 5]])  # 1 of 3 and 2 of 3 at K = 3: (1/3 + 2/3) / 2
    assert popularity_overlap(same_items, popular, 3) == 1.0
    assert popularity_overlap(half, popular, 3) == pytest.approx(0.5)
    lines = popularity_warnings({"sasrec": 1.0, "itemknn": 0.5}, "history excluded", 3)
    assert len(lines) == 1 and lines[0].startswith("WARNING (history excluded): sasrec's top-3 lists share 100%")
