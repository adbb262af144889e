"""Metric formulas on three hand-worked rows, then the official parity fixture (METRICS.md)."""

import json
import math

import numpy as np
import pytest

from sprec.evaluation import metrics as M
from sprec.evaluation.evaluate import evaluate_sprec_files

# Three rows, K = 2, catalog of 4 items. Row 2's target is not in the catalog (-1).
TOPK = np.array([[0, 1], [2, 0], [0, 3]])
TARGETS = np.array([1, -1, 0])


def test_hit_positions_and_accuracy_divide_by_all_rows():
    pos = M.hit_positions(TOPK, TARGETS)
    assert pos.tolist() == [1, -1, 0]
    assert M.hit_ratio(pos, 1) == pytest.approx(1 / 3)  # only row 3 hits at rank 0
    assert M.hit_ratio(pos, 2) == pytest.approx(2 / 3)
    assert M.ndcg(pos, 2) == pytest.approx((1 / math.log2(3) + 1) / 3)


def test_list_metrics_over_rows_with_known_targets():
    lists = TOPK[TARGETS >= 0]  # rows 1 and 3: items 0, 1, 0, 3
    assert M.div_ratio(lists, 4) == pytest.approx(3 / 4)
    assert M.or_ratio(lists, 4) == pytest.approx(4 / 4)  # top 3 counts: 2 + 1 + 1
    assert M.coverage(lists, 4) == pytest.approx(3 / 4)
    # exposure [2, 1, 0, 1]: sorted [0, 1, 1, 2], Gini = sum((2i-n-1) x_i) / (n sum x) = (-3*0 -1 +1 +3*2) / 16
    assert M.gini(M.exposure(lists, 4)) == pytest.approx(6 / 16)
    pop = np.array([3, 1, 0, 0])  # shares (pop+1)/(4+4): 1/2, 1/4, 1/8, 1/8
    assert M.novelty(lists, pop) == pytest.approx((1 + 2 + 1 + 3) / 4)


def test_genre_metrics_hand_worked():
    # groups (a, b); item 0 in a and b (1/2 each), item 1 in a, item 3 in none
    weights = np.array([[0.5, 0.5], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    gp = M.genre_distribution(np.array([2, 1, 0, 1]), weights)  # mass a = 1 + 1 = 2, b = 1 -> (2/3, 1/3)
    gh = M.genre_distribution(np.array([0, 0, 2, 0]), weights)  # all b -> (0, 1)
    assert gp.tolist() == pytest.approx([2 / 3, 1 / 3])
    assert M.mgu(gp, gh) == pytest.approx((2 / 3 + 2 / 3) / 2)
    assert M.dgu(gp, gh) == pytest.approx(2 / 3 - (-2 / 3))


def test_intra_list_diversity():
    genre_sets = np.array([[1, 1, 0], [1, 0, 0], [0, 0, 1]], dtype=bool)
    # pairs: (0,1) Jaccard 1/2 -> distance 1/2; (0,2) -> 1; (1,2) -> 1
    assert M.intra_list_diversity(np.array([[0, 1, 2]]), genre_sets) == pytest.approx((0.5 + 1 + 1) / 3)
    assert M.intra_list_diversity(np.array([[0]]), genre_sets) is None


def test_parity_with_official_code(shared):
    fx = shared / "fixtures" / "metric_parity"
    got = evaluate_sprec_files(fx / "test.json", fx, fx / "topk_item_ids.json", [1, 5, 10])
    expected = json.loads((fx / "expected.json").read_text())
    assert set(expected) == {"1", "5", "10"}
    for k, values in expected.items():
        for name, value in values.items():
            assert got[k][name] == pytest.approx(value, abs=1e-9, rel=0), (k, name)


def test_popularity_buckets_hand_worked():
    pop = np.array([10, 5, 3, 1, 1, 0])  # 20 training targets
    b = M.popularity_buckets(pop)  # 20% = 4: item 0 alone holds 10
    assert b["head"].tolist() == [True, False, False, False, False, False]
    assert (b["tail"] == ~b["head"]).all() and b["cold"].tolist() == [False, False, True, True, True, True]
    b = M.popularity_buckets(pop, head_share=0.6, cold_below=2)  # 12: items 0 and 1 (10, then 15)
    assert b["head"].tolist() == [True, True, False, False, False, False]
    assert b["cold"].tolist() == [False, False, False, True, True, True]
    tie = M.popularity_buckets(np.array([2, 4, 4]), head_share=0.3)  # 3 of 10: one of the two 4s, the smaller id
    assert tie["head"].tolist() == [False, True, False]


def test_bucket_accuracy_counts_rows_by_their_target():
    buckets = M.popularity_buckets(np.array([10, 5, 3, 1]))  # head {0}, cold {2, 3}
    pos = M.hit_positions(TOPK, TARGETS)  # [1, -1, 0]: targets 1 (tail), unknown, 0 (head)
    got = M.bucket_accuracy(pos, TARGETS, buckets, 2)
    assert (got["rows_head"], got["rows_tail"], got["rows_cold"]) == (1, 1, 0)
    assert got["HR_head"] == got["NDCG_head"] == 1.0  # row 3 hits at rank 0
    assert got["HR_tail"] == 1.0 and got["NDCG_tail"] == pytest.approx(1 / math.log2(3))
    assert got["HR_cold"] is None and got["NDCG_cold"] is None
    assert M.bucket_accuracy(pos, TARGETS, buckets, 1)["HR_tail"] == 0.0
