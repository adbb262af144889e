import numpy as np

from sprec.baselines.popularity import popularity_ranking, recommend_popular
from sprec.evaluation.evaluate import evaluate_predictions


def test_popularity_is_the_or_ratio_ceiling(goodreads_dataset):
    ds = goodreads_dataset
    ranking = popularity_ranking(ds.catalog)
    pop = ds.catalog.popularity
    assert (np.diff(pop[ranking]) <= 0).all()
    res = evaluate_predictions(
        ds.splits["test"], ds.catalog, recommend_popular(ds.catalog, ds.splits["test"], 5), [1, 5]
    )
    assert res["1"]["ORRatio"] == 1.0 and res["5"]["ORRatio"] == 0.6  # everyone gets the same list
    assert res["5"]["distinct_items"] == 5


def test_exclude_history(goodreads_dataset):
    ds = goodreads_dataset
    lists = recommend_popular(ds.catalog, ds.splits["test"], 10, exclude_history=True)
    assert all(not set(row) & set(e.history) for row, e in zip(lists, ds.splits["test"], strict=True))
    assert all(len(row) == len(set(row)) == 10 for row in lists)
    plain = recommend_popular(ds.catalog, ds.splits["test"], 10)
    assert any(set(p) & set(e.history) for p, e in zip(plain, ds.splits["test"], strict=True))
