import numpy as np
import pytest

from sprec.baselines.itemknn import ItemKNN
from sprec.baselines.scorers import classical_scorer
from sprec.config import ItemKNNSettings
from sprec.data.dataset import Catalog, Dataset, Example, Item


@pytest.fixture
def tiny_dataset():
    items = [Item(i, f"t{i}", popularity=p) for i, p in enumerate([3, 0, 1, 2])]
    train = [Example((0, 1), 2), Example((1, 2), 3), Example((2, 3), 0), Example((0, 2), 3)]
    return Dataset("tiny", Catalog(items, []), {"train": train, "valid": train[:1], "test": train[1:]})


def test_popularity_scores_every_row_by_training_popularity(tiny_dataset):
    scores = classical_scorer("popularity", tiny_dataset)(tiny_dataset.splits["test"])
    assert scores.tolist() == [[3.0, 0.0, 1.0, 2.0]] * 3


def test_itemknn_scorer_is_the_fitted_model_with_its_own_settings(tiny_dataset):
    s = ItemKNNSettings(window=1, recency_decay=1.0)
    rows = tiny_dataset.splits["test"]
    expected = ItemKNN.fit(tiny_dataset.splits["train"], 4, s).score_matrix(rows)
    assert np.array_equal(classical_scorer("itemknn", tiny_dataset, s)(rows), expected)
    assert not np.array_equal(classical_scorer("itemknn", tiny_dataset)(rows), expected)  # defaults differ


def test_sasrec_needs_a_folder_and_unknown_methods_are_refused(tiny_dataset):
    with pytest.raises(ValueError, match="model_dir"):
        classical_scorer("sasrec", tiny_dataset)
    with pytest.raises(ValueError, match="not a classical method"):
        classical_scorer("sft", tiny_dataset)
