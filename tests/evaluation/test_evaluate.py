"""Predictions validation (bad input gets an error naming the file and the row) and evaluation of a
prepared dataset."""

import json

import pytest

from sprec.baselines.popularity import recommend_popular
from sprec.errors import DataError
from sprec.evaluation.evaluate import evaluate_predictions, evaluate_sprec_files, load_predictions, save_predictions


def test_prediction_errors(goodreads_dataset, tmp_path):
    ds = goodreads_dataset
    test, cat = ds.splits["test"], ds.catalog
    good = recommend_popular(cat, test, 5)
    cases = [
        (good[:-1], r"999 prediction rows for 1000 test rows"),
        ([[1, 2, 3, 4, 1]] + good[1:], r"row 1: a top-K list repeats an item"),
        (good[:4] + [[1, 2, 3, 4, 99999]] + good[5:], r"row 5: item id 99999 is not in the catalog"),
        (good[:2] + [[1, 2]] + good[3:], r"row 3: needs a list of at least K = 5 item ids, got 2"),
        (good[:2] + [["a", 2, 3, 4, 5]] + good[3:], r"row 3: item id 'a' is not in the catalog"),
    ]
    for topk, message in cases:
        with pytest.raises(DataError, match=message):
            evaluate_predictions(test, cat, topk, [1, 5], "p.json")
    with pytest.raises(DataError, match=r"K = 5000 is larger than the catalog \(4058 items\)"):
        evaluate_predictions(test, cat, good, [5000], "p.json")


def test_predictions_file_round_trip(goodreads_dataset, tmp_path):
    topk = recommend_popular(goodreads_dataset.catalog, goodreads_dataset.splits["test"], 3, exclude_history=True)
    save_predictions(tmp_path / "p.json", topk, method="popularity")
    p = load_predictions(tmp_path / "p.json")
    assert p.topk == topk and p.meta == {"method": "popularity"}
    (tmp_path / "plain.json").write_text(json.dumps(topk))
    assert load_predictions(tmp_path / "plain.json").topk == topk
    (tmp_path / "bad.json").write_text('{"topk": 3}')
    with pytest.raises(DataError, match="bad.json: expected a JSON list"):
        load_predictions(tmp_path / "bad.json")


def test_sprec_ids_are_checked(shared, tmp_path):
    fx = shared / "fixtures" / "metric_parity"
    rows = json.loads((fx / "topk_item_ids.json").read_text())
    rows[7][2] = 4058  # one past the last SPRec id
    (tmp_path / "ids.json").write_text(json.dumps(rows))
    with pytest.raises(DataError, match=r"ids.json, row 8: item id 4058 is not in the catalog"):
        evaluate_sprec_files(fx / "test.json", fx, tmp_path / "ids.json", [5])


def test_history_is_dropped_after_the_fact_only_from_rankings():
    from sprec.data.dataset import Example
    from sprec.evaluation.evaluate import Predictions, lists_for_mode, without_history

    rows = [Example((3, 7), 1), Example((5,), 2)]
    ranked = [[7, 1, 4, 3, 9], [2, 5, 8, 0, 6]]
    assert without_history(ranked, rows, 2) == [[1, 4], [2, 8]]
    with pytest.raises(DataError, match=r"p.json, row 1: 2 items left once the history is dropped"):
        without_history([[7, 1, 3, 4]], rows[:1], 3, "p.json")
    filterable = Predictions(ranked, {"exclude_history": False, "history_filterable": True})
    assert lists_for_mode(filterable, rows, False, 2) == ranked
    assert lists_for_mode(filterable, rows, True, 2) == [[1, 4], [2, 8]]
    beams = Predictions(ranked, {"exclude_history": False, "history_filterable": False})
    assert lists_for_mode(beams, rows, True, 2) is None  # trie beams: only the mode they were decoded in
    made_excluding = Predictions([[1, 4], [2, 8]], {"exclude_history": True, "history_filterable": True})
    assert lists_for_mode(made_excluding, rows, False, 2) is None
