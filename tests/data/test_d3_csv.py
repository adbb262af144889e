"""D3 / BIGRec CSV layout on the hand-made fixture in tests/fixtures/d3."""

import shutil

import pytest

from sprec.config import DataConfig, from_dict
from sprec.data.d3_csv import read_d3
from sprec.data.readers import prepare_dataset
from sprec.errors import DataError
from tests.helpers import FIXTURES

D3 = FIXTURES / "d3"
PATHS = {s: str(D3 / f"{s}.csv") for s in ("train", "valid", "test")} | {
    "items": str(D3 / "items.txt"),
    "genres": str(D3 / "name2genre.json"),
}


def test_reads_fixture_with_duplicate_titles():
    data = read_d3(PATHS, ["fiction", "romance"])
    assert len(data.catalog) == 6 and data.drops["duplicate_title_merged"] == 1
    assert data.catalog.title(0) == 'A Child Called "It" (Dave Pelzer #1)'
    u3 = data.splits["train"][3]
    assert u3.history == (4, 0) and u3.user_id == "u3"  # item id 6 is an alias of "Station Eleven" (4)
    assert [len(v) for v in data.splits.values()] == [4, 1, 2]


def test_prepare_d3(tmp_path):
    cfg = from_dict(DataConfig, {"name": "d3", "source": "d3-csv", "paths": PATHS, "genre_groups": ["fiction"]})
    ds = prepare_dataset(cfg, tmp_path / "out")
    assert ds.meta["stats"]["examples_per_split"] == {"train": 4, "valid": 1, "test": 2}
    assert ds.catalog.popularity.tolist() == [0, 1, 0, 1, 1, 1]


def test_unknown_item_and_bad_list(tmp_path):
    for name in ("valid.csv", "test.csv", "items.txt"):
        shutil.copy(D3 / name, tmp_path / name)
    paths = {**PATHS, "train": str(tmp_path / "train.csv"), "genres": None}
    header = "user_id,history_item_id,item_id,history_item_title,item_title,history_timestamp,timestamp\n"
    cases = [(header + 'u1,"[0, 1]",3,,,,5\nu1,"[0, 99]",3,,,,6\n',
               r"train.csv, row 3: item id\(s\) \[99\] not in the item info file"),
              (header + 'u1,"[0, 1",3,,,,5\n', r"train.csv, row 2: column history_item_id is not a Python list"),
              ("user_id,item_id\nu1,3\n", r"missing column\(s\) \['history_item_id'\]")]
    for content, problem in cases:
        (tmp_path / "train.csv").write_text(content)
        with pytest.raises(DataError, match=problem):
            read_d3(paths)


def test_markup_titles_are_left_out_and_title_merges_are_reported(tmp_path):
    # item 1's title is a scraped HTML fragment: rows with it as target are dropped, it leaves the histories
    for name in ("train.csv", "valid.csv", "test.csv", "name2genre.json"):
        shutil.copy(D3 / name, tmp_path / name)
    items = (D3 / "items.txt").read_text().replace("The Wrath and the Dawn (The Wrath and the Dawn, #1)\t1",
                                                   '<span class="a-size">\t1')  # fmt: skip
    (tmp_path / "items.txt").write_text(items)
    paths = {**PATHS, **{k: str(tmp_path / v) for k, v in (("train", "train.csv"), ("valid", "valid.csv"),
             ("test", "test.csv"), ("items", "items.txt"), ("genres", "name2genre.json"))}}  # fmt: skip
    cfg = from_dict(DataConfig, {"name": "d3", "source": "d3-csv", "paths": paths, "genre_groups": ["fiction"]})
    ds = prepare_dataset(cfg)
    dropped = ds.meta["stats"]["dropped"]
    assert dropped["item_title_looks_like_markup"] == 1 and dropped["history_items_left_out_by_their_title"] >= 1
    assert all("<span" not in it.title for it in ds.catalog.items) and len(ds.catalog) == 5
    # "Station Eleven" holds ids 4 and 6 and is 1 of the 2 test targets: merged items hold 50% of them
    merges = ds.meta["stats"]["title_merges"]
    assert merges["items_merged"] == 1 and merges["test_target_share"] == 0.5
    assert merges["largest"] == [{"title": "Station Eleven", "ids": 2, "test_target_share": 0.5}]
    assert ds.meta["warnings"][0].startswith("WARNING: 1 items merge 2 ids of the same title and are 50.0% of")
    # kept apart when asked: id 6 becomes its own item
    cfg.prepare.merge_titles = False
    apart = prepare_dataset(cfg)
    assert "Station Eleven [6]" in [it.title for it in apart.catalog.items] and not apart.meta["warnings"]


def test_genre_groups_without_a_config_leave_out_a_label_every_item_has(tmp_path):
    table = {it: ["Books", g] for it, g in (('A Child Called "It" (Dave Pelzer #1)', "history"),
             ("Station Eleven", "fiction"), ("The Nightingale", "fiction"), ("Practice Makes Perfect", "romance"))}
    (tmp_path / "g.json").write_text(__import__("json").dumps(table))
    data = read_d3({**PATHS, "genres": str(tmp_path / "g.json")})
    assert data.catalog.genre_groups == ["fiction", "history", "romance"]
    assert data.drops["genre_label_on_most_items_not_a_group:Books"] == 1


@pytest.mark.parametrize("name", ["d3-csv-example", "ml-latest-small", "ml-100k", "goodreads"])
def test_every_shipped_data_config_prepares(name, shared):
    from sprec.config import load_data_config
    from tests.helpers import ROOT

    ds = prepare_dataset(load_data_config(ROOT / f"configs/data/{name}.yaml"))
    assert ds.splits["test"] and ds.catalog.genre_groups
