"""RecBole atomic files: the ml-100k copy inside the recbole wheel, typed headers, multi-word genres."""

import pytest

from sprec.data.recbole_atomic import bundled_recbole_dataset, read_recbole, split_genres
from sprec.errors import DataError


def test_bundled_ml100k():
    log = read_recbole(bundled_recbole_dataset("ml-100k"))
    assert len(log.items) == 1682 and len(log.users) == 100_000
    assert log.items[0].title == "Toy Story (1995)"  # title + release_year, as MovieLens writes it
    assert log.items[0].genres == ("Animation", "Children's", "Comedy")
    assert log.item_noun == "movie"


def test_multi_word_genres_rejoin_with_vocab():
    tokens = ["Film", "Noir", "Drama", "Science", "Fiction"]
    assert split_genres(tokens, None) == ("Film", "Noir", "Drama", "Science", "Fiction")
    assert split_genres(tokens, ["Film Noir", "Science Fiction", "Drama"]) == ("Film Noir", "Drama", "Science Fiction")


def _write(tmp_path, inter: str, item: str):
    d = tmp_path / "toy"
    d.mkdir()
    (d / "toy.inter").write_text(inter)
    (d / "toy.item").write_text(item)
    return d


def test_untyped_header_is_an_error(tmp_path):
    d = _write(tmp_path, "user_id\titem_id\ttimestamp\n1\t1\t5\n", "item_id:token\ttitle:token_seq\n1\tA\n")
    with pytest.raises(DataError, match=r"toy.inter, row 1: column 'user_id' needs a type"):
        read_recbole(d)


def test_missing_timestamp_column(tmp_path):
    d = _write(tmp_path, "user_id:token\titem_id:token\n1\t1\n", "item_id:token\ttitle:token_seq\n1\tA\n")
    with pytest.raises(DataError, match=r"missing column\(s\) \['timestamp'\]"):
        read_recbole(d)


def test_an_item_file_with_a_header_only_is_named(tmp_path):
    d = _write(tmp_path, "user_id:token\titem_id:token\ttimestamp:float\n1\t1\t5\n", "item_id:token\ttitle:token_seq\n")
    with pytest.raises(DataError, match=r"toy.item: no items: the item file has no rows"):
        read_recbole(d)


def test_short_row(tmp_path):
    d = _write(tmp_path, "user_id:token\titem_id:token\ttimestamp:float\n1\t1\n",
               "item_id:token\ttitle:token_seq\n1\tA\n")  # fmt: skip
    with pytest.raises(DataError, match=r"toy.inter, row 2: expected 3"):
        read_recbole(d)


def test_recbole_and_raw_ml100k_prepare_to_the_same_dataset(shared):
    from sprec.config import DataConfig, from_dict
    from sprec.data.readers import prepare_dataset

    def prep(source, path):
        return prepare_dataset(from_dict(DataConfig, {"name": "ml", "source": source, "path": str(path)}))

    a = prep("recbole", bundled_recbole_dataset("ml-100k"))
    b = prep("movielens", shared / "data/movielens/raw/ml-100k")
    assert a.splits["test"] == b.splits["test"] and a.meta["stats"] == b.meta["stats"]
    assert sum(x.title == y.title for x, y in zip(a.catalog.items, b.catalog.items, strict=True)) > 1300


def test_a_tab_inside_a_value_is_an_error_not_shifted_columns(tmp_path):
    d = _write(tmp_path, "user_id:token\titem_id:token\ttimestamp:float\n1\t1\t5\n",
               "item_id:token\ttitle:token_seq\n1\tA\tTitle\n")  # fmt: skip
    with pytest.raises(DataError, match=r"toy.item, row 2: expected 2 '\\t'-separated fields, found 3; is there"):
        read_recbole(d)
