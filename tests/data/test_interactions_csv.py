"""Your own log as CSV: MovieLens-100k written out as two CSV files (other column names, ISO times with an offset,
quoted titles) prepares to exactly the dataset the RecBole reader gives; bad rows name the file and the line."""

import csv
from datetime import datetime, timedelta, timezone

import pytest

from sprec.config import DataConfig, from_dict
from sprec.data.interactions_csv import read_interactions_csv, unix_time
from sprec.data.readers import prepare_dataset
from sprec.data.recbole_atomic import bundled_recbole_dataset, read_recbole
from sprec.errors import ConfigError, DataError

SMALL = {"k_core": 5, "history_len": 10, "min_history": 10, "valid_size": 64, "test_size": 200, "seed": 0}


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return str(path)


def test_ml100k_as_csv_prepares_to_the_same_dataset_as_the_recbole_files(tmp_path):
    log = read_recbole(bundled_recbole_dataset("ml-100k"))
    plus_two = timezone(timedelta(hours=2))  # times written in another zone must come back as the same instants
    times = [datetime.fromtimestamp(t, plus_two).isoformat() for t in log.timestamps]
    paths = {
        "interactions": write_csv(tmp_path / "ratings.csv", ["uid", "movie", "rated_at", "stars"],
                                  zip(log.users, log.item_ids, times, log.ratings, strict=True)),
        "items": write_csv(tmp_path / "movies.csv", ["movie", "name", "genres"],
                           [(it.source_id, it.title, "|".join(it.genres)) for it in log.items]),
    }  # fmt: skip
    cfg = from_dict(DataConfig, {"name": "ml-100k", "source": "csv", "paths": paths, "item_noun": "movie",
                                 "columns": {"user": "uid", "item": "movie", "time": "rated_at", "rating": "stars",
                                             "title": "name"}, "prepare": SMALL})  # fmt: skip
    mine = prepare_dataset(cfg)
    ref = prepare_dataset(from_dict(DataConfig, {"name": "ml-100k", "source": "recbole", "path": "bundled:ml-100k",
                                                 "prepare": SMALL}))  # fmt: skip
    assert any("," in it.title for it in mine.catalog.items)  # quoted CSV fields survived
    assert [(it.title, it.genres) for it in mine.catalog.items] == [(it.title, it.genres) for it in ref.catalog.items]
    for split in ("train", "valid", "test"):
        assert mine.splits[split] == ref.splits[split], split
    assert len(mine.splits["train"]) > 50_000


def test_times_and_bad_rows(tmp_path):
    where = tmp_path / "log.csv"
    assert unix_time("1700000000", where, 2) == 1_700_000_000 and unix_time("1700000000.9", where, 2) == 1_700_000_000
    assert unix_time("2024-01-05T10:00:00+02:00", where, 2) == unix_time("2024-01-05 08:00:00", where, 2)
    assert unix_time("2024-01-05", where, 2) == 1_704_412_800  # a date alone: midnight UTC
    with pytest.raises(DataError, match=r"log.csv.*row 3.*'yesterday' is neither unix seconds nor an ISO 8601"):
        unix_time("yesterday", where, 3)
    items = write_csv(tmp_path / "items.csv", ["item_id", "title"], [("a", "A"), ("b", "B")])
    bad_time = write_csv(where, ["user_id", "item_id", "timestamp"], [("u", "a", "1"), ("u", "b", "soon")])
    with pytest.raises(DataError, match=r"log.csv.*row 3.*'soon'"):
        read_interactions_csv({"interactions": bad_time, "items": items})
    no_time = write_csv(tmp_path / "no_time.csv", ["user_id", "item_id"], [("u", "a")])
    with pytest.raises(DataError, match=r"no_time.csv.*missing column\(s\) \['timestamp'\]"):
        read_interactions_csv({"interactions": no_time, "items": items})
    header = ["user_id", "item_id", "timestamp", "rating"]
    bad_rating = write_csv(where, header, [("u", "a", "1", "5"), ("u", "b", "2", "x")])
    with pytest.raises(DataError, match=r"row 3.*rating 'x' is not a number"):
        read_interactions_csv({"interactions": bad_rating, "items": items})
    no_rating = write_csv(where, header, [("u", "a", "1", ""), ("u", "b", "2", "4")])
    assert read_interactions_csv({"interactions": no_rating, "items": items}).ratings == [None, 4.0]
    # a spreadsheet's export: UTF-8 with a byte-order mark and CRLF line ends
    (tmp_path / "excel.csv").write_bytes("\ufeffuser_id,item_id,timestamp\r\nu,a,2024-01-05\r\n".encode())
    log = read_interactions_csv({"interactions": str(tmp_path / "excel.csv"), "items": items})
    assert log.users == ["u"] and log.timestamps == [1_704_412_800]


def test_csv_config_needs_both_files_and_known_column_roles():
    with pytest.raises(ConfigError, match=r"needs \['items'\]"):
        from_dict(DataConfig, {"name": "x", "source": "csv", "paths": {"interactions": "a.csv"}})
    with pytest.raises(ConfigError, match=r"unknown role\(s\) \['when'\]"):
        from_dict(DataConfig, {"name": "x", "source": "csv", "paths": {"interactions": "a", "items": "b"},
                               "columns": {"when": "ts"}})  # fmt: skip


def test_sprec_data_prepare_reads_a_csv_log_and_names_a_bad_row_in_one_line(tmp_path):
    from tests.helpers import sprec

    log = read_recbole(bundled_recbole_dataset("ml-100k"))
    inter = write_csv(tmp_path / "interactions.csv", ["user_id", "item_id", "timestamp"],
                      zip(log.users, log.item_ids, log.timestamps, strict=True))  # fmt: skip
    items = write_csv(tmp_path / "items.csv", ["item_id", "title"], [(it.source_id, it.title) for it in log.items])
    r = sprec("data", "prepare", "--source", "csv", "--interactions", inter, "--items", items, "--test-size", 100,
              "--out", tmp_path / "out")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert '"users": 943' in r.stdout and (tmp_path / "out" / "test.jsonl").read_text().count("\n") == 100
    rows = (tmp_path / "interactions.csv").read_text().splitlines()
    rows[5] = rows[5].rsplit(",", 1)[0] + ",2024-13-01"  # no 13th month
    (tmp_path / "interactions.csv").write_text("\n".join(rows) + "\n")
    r = sprec("data", "prepare", "--source", "csv", "--interactions", inter, "--items", items, "--out", tmp_path / "b")
    assert r.returncode == 2 and "interactions.csv, row 6: time '2024-13-01'" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
