from pathlib import Path

import pytest

from sprec import names as N


@pytest.mark.parametrize("method,t,row", [("sft", None, "sft"), ("sprec", 2, "sprec t=2"),
                                          ("sprec-hybrid", 12, "sprec-hybrid t=12")])  # fmt: skip
def test_model_rows_round_trip(method, t, row):
    assert N.model_row(method, t) == row
    assert N.method_of(row) == method and N.iteration_of(row) == t


def test_rows_built_and_parsed():
    assert N.grounded_row("sprec t=2", "embedding") == "sprec t=2 (embedding)"
    assert N.grounding_of("sprec t=2 (embedding)") == "embedding" and N.grounding_of("sasrec > sft") is None
    assert N.iteration_of("sprec t=2 (trie)") == 2 and N.iteration_of("sft (embedding)") is None
    assert N.hybrid_row("sasrec", "sprec t=2") == "sasrec > sprec t=2"
    assert N.hybrid_parts("sasrec > sprec t=2") == ("sasrec", "sprec t=2") and N.hybrid_parts("sft") is None
    assert N.d3_row("sft") == "d3: sft (trie)" and N.grounding_of(N.d3_row("sft")) == "trie"


def test_stage_keys_round_trip():
    for row, stage in [("sft", "train"), ("d3: sft (trie)", "recommend"), ("sasrec > sprec t=2", "rank")]:
        assert N.stage_parts(N.stage_key(row, stage)) == (row, stage)
    assert N.stage_parts("popularity") == ("popularity", None)


def test_file_names_keep_apart_what_the_table_keeps_apart():
    assert N.slug("sprec t=2") == "sprect2"
    assert N.generated_stem("sprec t=2", "trie") == "sprect2-trie"
    assert N.hybrid_stem("sasrec", "sprec-hybrid t=2") == "sasrec-sprec-hybridt2"
    assert N.d3_stem("dpo") == "d3-dpo"


def test_model_folders_round_trip(tmp_path: Path):
    models = tmp_path / "models"
    for row in ("sft", "sprec t=2"):
        folder = N.model_dir(models, row)
        folder.mkdir(parents=True)
        assert N.row_of_model_dir(folder, models) == row
    assert N.model_dir(models, "sprec t=2") == models / "sprec" / "iteration-2"


@pytest.mark.parametrize("per_token", [False, True])
@pytest.mark.parametrize("calibrated", [False, True])
def test_llm_score_labels_round_trip(per_token, calibrated):
    label = N.llm_score_label(per_token, calibrated)
    assert N.llm_score_variant(label) == (per_token, calibrated)
    assert N.llm_score_label(True, True) == "per token, calibrated"  # as committed predictions files hold it
