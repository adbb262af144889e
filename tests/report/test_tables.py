"""The report: bootstrap differences (zero for identical predictions, signed right otherwise) and plots."""

import numpy as np

from sprec.baselines.popularity import recommend_popular
from sprec.experiment.pipeline import _recorded_settings_hold
from sprec.report.bootstrap import paired_bootstrap
from sprec.report.tables import _baseline_for, references_for


def test_bootstrap_of_identical_and_of_better_predictions(goodreads_dataset):
    test, cat = goodreads_dataset.splits["test"], goodreads_dataset.catalog
    pop = np.array(recommend_popular(cat, test, 10))
    same = paired_bootstrap(pop, pop, test, cat, [5, 10], resamples=50)
    assert list(same) == ["5", "10"] and list(same["10"]) == ["HR", "NDCG", "DivRatio", "ORRatio", "MGU", "DGU"]
    assert all(v == (0.0, 0.0, 0.0) for by_metric in same.values() for v in by_metric.values())
    oracle = pop.copy()
    targets = [e.target for e in test]
    for r, t in enumerate(targets):
        if t is not None and t not in oracle[r]:
            oracle[r, 0] = t  # put the true item first: HR must rise, with an interval above zero
    diff = paired_bootstrap(oracle, pop, test, cat, [10], resamples=50)
    d, lo, hi = diff["10"]["HR"]
    assert 0 < lo <= d <= hi


def test_differences_print_no_negative_zero():
    from sprec.report.bootstrap import _signed

    assert [_signed(x) for x in (-0.00001, 0.0, 0.01234, -0.01236)] == ["+0.0000", "+0.0000", "+0.0123", "-0.0124"]


def test_each_method_is_compared_with_the_sft_row_of_its_grounding():
    names = ["popularity", "sft (embedding)", "sft (trie)", "dpo (trie)", "sprec t=1 (embedding)"]
    assert _baseline_for("dpo (trie)", names) == "sft (trie)"
    assert _baseline_for("sprec t=1 (embedding)", names) == "sft (embedding)"
    assert _baseline_for("popularity", names) == "sft (embedding)"


def test_a_pool_hybrid_is_compared_with_the_pool_its_retrievers_the_sft_hybrid_and_sprec_rank_with_rank_sft():
    p = "sasrec+itemknn"
    names = ["sasrec", "itemknn", p, f"{p} > sft", f"{p} > rank-sft", f"{p} > sprec-rank t=1", f"{p} > sprec-rank t=2"]
    assert references_for(f"{p} > sprec-rank t=2", names) == [p, "sasrec", "itemknn", f"{p} > sft", f"{p} > rank-sft"]
    assert references_for(f"{p} > rank-sft", names) == [p, "sasrec", "itemknn", f"{p} > sft"]
    assert references_for(f"{p} > sft", names) == [p, "sasrec", "itemknn"]
    assert references_for(p, names) == ["sasrec", "itemknn"]


def test_resume_accepts_settings_added_later_but_not_changed_ones():
    old = {"sft": {"examples": 512}, "seed": 0}
    assert _recorded_settings_hold(old, {"sft": {"examples": 512, "engine": "fast"}, "seed": 0, "dpo": {}})
    assert not _recorded_settings_hold(old, {"sft": {"examples": 256}, "seed": 0})


def test_a_trained_baseline_below_popularity_is_flagged_and_the_standing_line_compares_llm_with_classical():
    from sprec.report.tables import baseline_warnings, standing

    def at10(hr, ndcg=0.0):
        return {"10": {"HR": hr, "NDCG": ndcg}}

    results = {"history allowed": {"popularity": at10(0.034), "sasrec": at10(0.014), "itemknn": at10(0.17)},
               "history excluded": {"popularity": at10(0.036), "sasrec": at10(0.175)}}  # fmt: skip
    (line,) = baseline_warnings(results, 10)
    assert line.startswith("WARNING (history allowed): sasrec HR@10 0.0140 is below popularity's 0.0340")
    by_method = {"popularity": at10(0.03, 0.01), "sasrec": at10(0.16, 0.09), "sft (embedding)": at10(0.05, 0.02),
                 "dpo (embedding)": at10(0.06, 0.03)}  # fmt: skip
    text = standing(by_method, 10)
    assert "Best LLM row dpo (embedding)" in text and "best classical baseline sasrec" in text
    assert "LLM / classical NDCG: 0.33" in text
    assert standing({"popularity": at10(0.03, 0.01)}, 10) is None
