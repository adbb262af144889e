"""SPRec prompt JSON + catalog: history recovery by catalog matching, the real Goodreads splits."""

import json

import pytest

from sprec.data.dataset import Catalog, Item
from sprec.data.sprec_json import parse_history, read_sprec_catalog, read_sprec_examples
from sprec.errors import DataError

CAT = Catalog([Item(0, 'A Child Called "It" (Dave Pelzer #1)'), Item(1, "Practice Makes Perfect"),
               Item(2, 'Say "Hi", "Bye"'), Item(3, "Hi")], [])  # fmt: skip


def test_titles_with_quotes_and_separators():
    text = 'before: "A Child Called "It" (Dave Pelzer #1)", "Say "Hi", "Bye"", "Practice Makes Perfect", please'
    assert parse_history(text, CAT) == ([0, 2, 1], [])


def test_unknown_titles_are_reported():
    ids, unknown = parse_history('x: "Practice Makes Perfect", "Nope", "Hi", please', CAT)
    assert ids == [1, 3] and unknown == ["Nope"]


def test_goodreads_splits(goodreads_dataset):
    ds = goodreads_dataset
    st = ds.meta["stats"]
    assert st["examples_per_split"] == {"train": 5000, "valid": 256, "test": 1000}
    assert len(ds.catalog) == 4058 and len(ds.catalog.genre_groups) == 7
    assert sum(e.target is None for e in ds.splits["test"]) == 2  # PROVENANCE/METRICS: kept as misses
    assert st["dropped"]["test:history_title_not_in_catalog"] == 8
    assert ds.item_noun == "book"
    assert ds.catalog.items[0].title == "The Wrath and the Dawn (The Wrath and the Dawn, #1)"


def test_malformed_rows(shared, tmp_path):
    catalog, _ = read_sprec_catalog(shared / "data/goodreads/raw/sprec/eval")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"input": 'x "Station Eleven" y', "output": '"Station Eleven"'}, {"input": "x"}]))
    with pytest.raises(DataError, match=r"bad.json, row 2: expected an object with keys"):
        read_sprec_examples(bad, catalog, keep_unknown_target=True)
    bad.write_text('[{"input": "x", ')
    with pytest.raises(DataError, match=r"bad.json, row 1: malformed JSON"):
        read_sprec_examples(bad, catalog, keep_unknown_target=True)
    bad.write_text(json.dumps([{"input": "no titles", "output": '"Station Eleven"'}]))
    rows, drops, _ = read_sprec_examples(bad, catalog, keep_unknown_target=True)
    assert rows == [] and drops["empty_history"] == 1
    with pytest.raises(DataError, match=r"row 1: no history title found"):
        read_sprec_examples(bad, catalog, keep_unknown_target=True, strict=True)


def test_duplicate_titles_in_catalog_merge(tmp_path):
    (tmp_path / "id2name.json").write_text(json.dumps({"0": "A", "1": "B", "2": "A"}))
    (tmp_path / "name2id.json").write_text(json.dumps({"A": 2, "B": 1}))
    (tmp_path / "name2genre.json").write_text(json.dumps({"A": ["x"], "B": ["y"]}))
    (tmp_path / "genre_dict.json").write_text(json.dumps({"x": 0}))
    catalog, drops = read_sprec_catalog(tmp_path)
    assert [it.title for it in catalog.items] == ["B", "A"]  # A keeps the id name2id gives it (2)
    assert catalog.id_of_source("0") == catalog.id_of_source("2") == 1
    assert drops["duplicate_title_merged"] == 1


def test_unknown_genre_group(tmp_path):
    (tmp_path / "id2name.json").write_text(json.dumps({"0": "A"}))
    (tmp_path / "name2genre.json").write_text(json.dumps({"A": ["x"]}))
    (tmp_path / "genre_dict.json").write_text(json.dumps({"sci-fi": 0}))
    with pytest.raises(DataError, match=r"genre_dict.json: genre group 'sci-fi' is not a genre of any item"):
        read_sprec_catalog(tmp_path)
