import numpy as np

from sprec.ranking.topk import top_k


def test_top_k_equals_a_stable_argsort_even_with_ties():
    rng = np.random.default_rng(0)
    for trial in range(6):
        s = rng.normal(size=(50, 300 + trial))
        if trial % 2:
            s = np.round(s, 1)  # many ties: the smaller id first
        assert (top_k(s, 7) == np.argsort(-s, axis=1, kind="stable")[:, :7]).all()


def test_top_k_excludes_history_and_leaves_the_input_alone():
    s = np.array([[0.4, 0.3, 0.2, 0.1], [0.1, 0.2, 0.3, 0.4]])
    assert top_k(s, 2, exclude=[[0], [3, 2]]).tolist() == [[1, 2], [1, 0]]
    assert s[0, 0] == 0.4  # the caller's array is not modified


def test_nearest_items_are_the_top_k_of_negated_distances():
    d = np.array([[0.3, 0.1, 0.2, 0.1]])
    assert top_k(-d, 3).tolist() == [[1, 3, 2]]  # distance ties: smaller id first
    assert top_k(-d, 10).tolist() == [[1, 3, 2, 0]]  # k above the catalog: every item
