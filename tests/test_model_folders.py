"""`sprec recommend --model` takes any model of a run, and a new user's titles are matched forgivingly."""

import json

import pytest

from sprec.config import ModelConfig
from sprec.data.titles import titles_to_history
from sprec.errors import DataError
from sprec.train.sft import trained_model_info


def _adapter(folder):
    folder.mkdir(parents=True)
    (folder / "adapter_config.json").write_text("{}")


def test_every_model_folder_of_a_run_resolves_to_its_adapter_config_and_data(tmp_path):
    run = tmp_path / "run"
    _adapter(run / "models/dpo/adapter")
    _adapter(run / "models/sprec/iteration-2/dpo/adapter")
    (run / "run.json").write_text(json.dumps({"config": {"model": {"name": "some/llm", "max_prompt_tokens": 300}}}))
    cfg, adapter, data = trained_model_info(run / "models/dpo")
    assert (cfg, adapter, data) == (ModelConfig(name="some/llm", max_prompt_tokens=300), run / "models/dpo/adapter",
                                    run / "data")  # fmt: skip
    assert trained_model_info(run / "models/sprec/iteration-2")[1] == run / "models/sprec/iteration-2/dpo/adapter"
    with pytest.raises(DataError, match="not a trained model: give a `sprec train sft --out` folder"):
        trained_model_info(run / "models/sprec")  # the method's folder, not one of its models
    _adapter(tmp_path / "loose/adapter")
    with pytest.raises(DataError, match="not a trained model"):
        trained_model_info(tmp_path / "loose")  # an adapter outside any run: no model config to load it with


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
