"""k-core, windows, chronological split and subsampling on small hand-built logs."""

import dataclasses

import numpy as np
import pytest

from sprec.data.prepare import PrepareSettings, k_core, prepare_log, subsample
from sprec.data.sources import RawItem, RawLog
from sprec.errors import ConfigError


def test_k_core_is_iterative():
    # user 0 rates items 0,1; user 1 rates 0,1; user 2 rates 0 only -> 2-core removes user 2's row,
    # and then nothing else falls below 2
    users = np.array([0, 0, 1, 1, 2])
    items = np.array([0, 1, 0, 1, 0])
    assert k_core(users, items, 2).tolist() == [True, True, True, True, False]
    # 3-core: nobody has 3 interactions, and removing cascades to everything
    assert not k_core(users, items, 3).any()


def _log(n_users=3, n_items=6, per_user=6):
    log = RawLog("toy", [RawItem(str(i), f"Item {i}", ("g",) if i % 2 else ()) for i in range(n_items)])
    t = 0
    for u in range(n_users):
        for j in range(per_user):
            t += 1
            log.add(f"u{u}", str((u + j) % n_items), 100 * j + u)  # interleaved times across users
    return log


def test_windows_split_and_stats():
    s = PrepareSettings(k_core=1, history_len=3, min_history=2, split=(0.5, 0.25, 0.25))
    ds = prepare_log("toy", _log(), s)
    # each user: 6 interactions, first 2 have too short a history -> 4 examples per user
    n = {k: len(v) for k, v in ds.splits.items()}
    assert sum(n.values()) == 12 and n == {"train": 6, "valid": 3, "test": 3}
    assert ds.meta["stats"]["dropped"]["short_history"] == 6
    times = [e.timestamp for split in ("train", "valid", "test") for e in ds.splits[split]]
    assert times == sorted(times)  # global chronological split
    first = ds.splits["train"][0]
    assert len(first.history) == 2 and len(ds.splits["test"][-1].history) == 3
    # popularity counts train targets only
    assert ds.catalog.popularity.sum() == n["train"]


def test_duplicate_titles_merge_into_one_item():
    log = _log()
    log.items[5] = RawItem("5", "Item 0")  # same title as item 0
    ds = prepare_log("toy", log, PrepareSettings(k_core=1, history_len=3, min_history=2))
    assert len(ds.catalog) == 5
    assert ds.catalog.items[0].aliases == ("5",)
    assert ds.catalog.id_of_source("5") == 0
    assert ds.meta["stats"]["dropped"]["duplicate_title_merged"] == 1


def test_unknown_items_are_counted_not_silent():
    log = _log()
    log.add("u0", "999", 10_000)
    ds = prepare_log("toy", log, PrepareSettings(k_core=1, history_len=3, min_history=2))
    assert ds.meta["stats"]["dropped"]["item_not_in_catalog"] == 1


def test_subsample_is_seeded_and_keeps_order():
    rows = list(range(100))
    a, b = subsample(rows, 10, 3), subsample(rows, 10, 3)
    assert a == b and a == sorted(a) and len(set(a)) == 10
    assert subsample(rows, 10, 4) != a


def test_bad_settings_are_rejected():
    with pytest.raises(ConfigError, match="split"):
        PrepareSettings(split=(0.5, 0.5, 0.5))
    with pytest.raises(ConfigError, match="min_history"):
        PrepareSettings(history_len=5, min_history=6)


def test_empty_and_filtered_away_data_say_what_happened():
    from sprec.errors import DataError

    with pytest.raises(DataError, match="toy: the ratings file holds no interaction"):
        prepare_log("toy", RawLog("toy", [RawItem("0", "Item 0")]), PrepareSettings())
    with pytest.raises(DataError, match=r"the 7-core filter removed everything \(18 interactions, 3 users, 6 items"):
        prepare_log("toy", _log(), PrepareSettings(k_core=7, min_history=3, history_len=3))
    with pytest.raises(DataError, match="no train and no test example left .* a history of 10 items or more"):
        prepare_log("toy", _log(), PrepareSettings(k_core=1))  # 6 interactions per user: no 10-item history


def test_markup_and_empty_titles_leave_the_catalog_and_ids_can_stay_apart():
    log = _log(n_users=10, n_items=6, per_user=6)
    log.items[1] = RawItem("1", "<div class='x'>")
    log.items[2] = RawItem("2", " ")
    log.items[3] = RawItem("3", "Item 0")  # the title of item 0: merged, unless asked not to
    ds = prepare_log("toy", log, PrepareSettings(k_core=1, min_history=1, history_len=2, split=(0.5, 0.2, 0.3)))
    dropped = ds.meta["stats"]["dropped"]
    assert dropped["item_title_looks_like_markup"] == 1 and dropped["item_empty_title"] == 1
    assert [it.title for it in ds.catalog.items] == ["Item 0", "Item 4", "Item 5"]
    apart = prepare_log("toy", log, PrepareSettings(k_core=1, min_history=1, history_len=2, split=(0.5, 0.2, 0.3),
                                                   merge_titles=False))  # fmt: skip
    assert [it.title for it in apart.catalog.items] == ["Item 0", "Item 0 [3]", "Item 4", "Item 5"]


def test_equal_timestamps_keep_file_order_or_go_by_item_id():
    log = RawLog("toy", [RawItem(str(i), f"Item {i}") for i in range(5)])
    for user, start in (("early", -20), ("middle", -10)):  # a train and a valid row before the test user's
        for j in range(5):
            log.add(user, str(j), start + j)
    for item, t in (("3", 1), ("1", 2), ("4", 2), ("0", 2), ("2", 3)):  # three ratings in the same second
        log.add("u", item, t)
    s = PrepareSettings(k_core=1, history_len=4, min_history=4, split=(0.34, 0.33, 0.33))
    by_file = prepare_log("toy", log, s)
    by_item = prepare_log("toy", log, dataclasses.replace(s, ties="item"))
    assert [*by_file.splits["test"][0].history] == [3, 1, 4, 0]  # as listed
    assert [*by_item.splits["test"][0].history] == [3, 0, 1, 4]  # the second's ratings by item id
    with pytest.raises(ConfigError, match="prepare.ties: choose file or item"):
        PrepareSettings(ties="time")


def test_a_repeated_item_id_keeps_its_first_row_whole_and_is_counted():
    log = _log()
    log.items.append(RawItem("1", "Another title", ("other",)))  # item 1 again: title and genres of its own
    ds = prepare_log("toy", log, PrepareSettings(k_core=1, history_len=3, min_history=2, split=(0.5, 0.25, 0.25)))
    item = next(it for it in ds.catalog.items if it.source_id == "1")
    assert (item.title, item.genres) == ("Item 1", ("g",))  # the first row's title and genres, never a mix
    assert ds.meta["stats"]["dropped"]["duplicate_item_id_row"] == 1
