import numpy as np

from sprec.grounding import nearest_items


def test_nearest_items_equals_a_stable_argsort_even_with_ties():
    rng = np.random.default_rng(0)
    for trial in range(6):
        d = rng.normal(size=(50, 300 + trial))
        if trial % 2:
            d = np.round(d, 1)  # many ties
        assert (nearest_items(d, 7) == np.argsort(d, axis=1, kind="stable")[:, :7]).all()


def test_nearest_items_excludes_history():
    d = np.array([[0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1]])
    assert nearest_items(d, 2, exclude=[[0], [3, 2]]).tolist() == [[1, 2], [1, 0]]
    assert d[0, 0] == 0.1  # the caller's array is not modified
