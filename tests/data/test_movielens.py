"""MovieLens raw readers on the real files in ../shared/data/movielens."""

import pytest

from sprec.config import DataConfig, from_dict
from sprec.data.movielens import read_movielens
from sprec.data.readers import prepare_dataset
from sprec.errors import DataError


def test_ml100k_raw(shared):
    log = read_movielens(shared / "data/movielens/raw/ml-100k")
    assert len(log.items) == 1682 and len(log.users) == 100_000
    toy = log.items[0]
    assert toy.title == "Toy Story (1995)" and toy.genres == ("Animation", "Children's", "Comedy")
    # u.item is latin-1: accented titles decode
    assert any("é" in it.title for it in log.items)


def test_ml_latest_small_csv_quoting(shared):
    log = read_movielens(shared / "data/movielens/raw/ml-latest-small")
    titles = {it.title for it in log.items}
    assert "American President, The (1995)" in titles  # a quoted CSV field with a comma
    assert len(log.items) == 9125 and len(log.users) == 100_004


def test_ml_dat_reader_with_real_movies(shared, tmp_path):
    # ml-10m's movies.dat is real; its ratings.dat is not in shared (size), so a few rows in its format
    (tmp_path / "movies.dat").write_bytes((shared / "data/movielens/raw/ml-10m/movies.dat").read_bytes())
    (tmp_path / "ratings.dat").write_text("1::122::5::838985046\n1::185::5::838983525\n2::1::3::868245920\n")
    log = read_movielens(tmp_path)
    assert len(log.items) == 10681 and log.item_ids == ["122", "185", "1"]
    assert log.items[0].genres == ("Adventure", "Animation", "Children", "Comedy", "Fantasy")


def test_prepare_ml100k_stats(shared, tmp_path):
    cfg = from_dict(
        DataConfig, {"name": "ml", "source": "movielens", "path": str(shared / "data/movielens/raw/ml-100k")}
    )
    ds = prepare_dataset(cfg, tmp_path)
    st = ds.meta["stats"]
    assert st["users"] == 943
    assert sum(st["examples_per_split"].values()) == st["interactions"] - st["dropped"]["short_history"]
    tr, va, te = (st["examples_per_split"][s] for s in ("train", "valid", "test"))
    assert abs(tr / (tr + va + te) - 0.8) < 0.001
    assert max(e.timestamp for e in ds.splits["train"]) <= min(e.timestamp for e in ds.splits["test"])
    assert ds.catalog.genre_groups[:2] == ["Action", "Adventure"]


def test_bad_files(tmp_path):
    with pytest.raises(DataError, match="no MovieLens ratings file"):
        read_movielens(tmp_path)
    with pytest.raises(DataError, match="gone: folder not found"):
        read_movielens(tmp_path / "gone")
    (tmp_path / "u.data").write_text("1\t2\t3\tnot-a-time\n")
    with pytest.raises(DataError, match="u.data: give the folder that holds u.data, not the file itself"):
        read_movielens(tmp_path / "u.data")
    (tmp_path / "u.item").write_bytes(b"2|Movie|01-Jan-1995||url" + b"|0" * 19 + b"\n")
    with pytest.raises(DataError, match=r"u.data, row 1: timestamp 'not-a-time'"):
        read_movielens(tmp_path)
    (tmp_path / "u.item").write_text("2|Movie|01-Jan-1995\n")
    with pytest.raises(DataError, match=r"u.item, row 1: expected 24"):
        read_movielens(tmp_path)


def test_wrong_encoding_names_the_line(tmp_path):
    (tmp_path / "movies.csv").write_bytes(b"movieId,title,genres\n1,Ok (1995),Drama\n2,Caf\xe9 (1996),Drama\n")
    (tmp_path / "ratings.csv").write_text("userId,movieId,rating,timestamp\n")
    with pytest.raises(DataError, match=r"movies.csv, row 3: not valid utf-8"):
        read_movielens(tmp_path)


def test_missing_column(tmp_path):
    (tmp_path / "movies.csv").write_text("movieId,name\n1,x\n")
    (tmp_path / "ratings.csv").write_text("userId,movieId,rating,timestamp\n")
    with pytest.raises(DataError, match=r"missing column\(s\) \['title', 'genres'\]"):
        read_movielens(tmp_path)


def test_ml100k_items_in_utf8_or_latin1_give_the_same_titles(tmp_path):
    for name, encoding in (("utf8", "utf-8"), ("latin1", "latin-1")):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "u.data").write_text("1\t2\t3\t881250949\n")
        (folder / "u.item").write_bytes("2|Café Society (1995)|01-Jan-1995||url".encode(encoding) + b"|0" * 19 + b"\n")
        log = read_movielens(folder)
        assert log.items[0].title == "Café Society (1995)"  # not "CafÃ© Society"
