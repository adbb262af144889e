"""A new user's titles are matched forgivingly (case, year, leading article), and a user of the data is found by id."""

import pytest

from sprec.data.titles import titles_to_history
from sprec.errors import DataError


def test_titles_match_case_insensitively_and_unknown_ones_list_close_matches(goodreads_dataset):
    catalog = goodreads_dataset.catalog
    exact = titles_to_history(["Station Eleven"], catalog)
    assert titles_to_history(["station eleven", " STATION ELEVEN "], catalog) == exact * 2
    with pytest.raises(DataError, match=r"'station elevn' is not in the catalog; close matches: \['Station Eleven'"):
        titles_to_history(["station elevn"], catalog)


def test_a_title_without_its_year_is_the_one_title_it_begins_and_an_ambiguous_one_lists_candidates():
    from sprec.data.dataset import Catalog, Item

    titles = ["Fargo (1996)", "Godfather, The (1972)", "Godfather: Part II, The (1974)", "Star Wars (1977)",
              "Starship Troopers (1997)", "Fargoland (2001)"]  # fmt: skip
    catalog = Catalog([Item(i, t) for i, t in enumerate(titles)], [])
    typed = ["fargo", "STAR WARS", "the godfather", "Godfather: part II, the"]
    assert titles_to_history(typed, catalog) == [0, 3, 1, 2]
    with pytest.raises(DataError, match=r"'godfather' is not in the catalog; close matches: \['Godfather, The "
                                        r"\(1972\)', 'Godfather: Part II, The \(1974\)'\]"):  # fmt: skip
        titles_to_history(["godfather"], catalog)
    with pytest.raises(DataError, match=r"'star' is not in the catalog; close matches: \['Star Wars \(1977\)', "
                                        r"'Starship Troopers \(1997\)'"):  # fmt: skip
        titles_to_history(["star"], catalog)  # a word of a title is not the title


def test_a_users_history_is_their_latest_row_with_its_target():
    from sprec.data.dataset import Catalog, Dataset, Example, Item
    from sprec.data.titles import user_history

    catalog = Catalog([Item(i, f"t{i}") for i in range(9)], [])
    rows = {"train": [Example((0, 1, 2), 3, "u", timestamp=10), Example((5, 6, 7), 8, "v", timestamp=50)],
            "test": [Example((1, 2, 3), 4, "u", timestamp=20)]}  # fmt: skip
    ds = Dataset("d", catalog, rows)
    assert user_history(ds, "u") == ([2, 3, 4], 20)  # the test row is later: history then target, 3 items
    with pytest.raises(DataError, match="user 'w' has no row"):
        user_history(ds, "w")
