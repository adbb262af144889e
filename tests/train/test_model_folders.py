"""`sprec recommend --model` takes any model of a run: every model folder resolves to its adapter, config and data."""

import json

import pytest

from sprec.config import ModelConfig
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


def test_a_moved_model_folder_reads_the_data_beside_it(tmp_path):
    import shutil

    from sprec.train.sft import MODEL_INFO

    own = tmp_path / "a/sft"  # a `sprec train sft --out` folder next to its data
    (own / "adapter").mkdir(parents=True)
    (tmp_path / "a/data").mkdir()
    (own / MODEL_INFO).write_text(json.dumps({"model": {"name": "some/llm"}, "data": "../data"}))
    shutil.move(tmp_path / "a", tmp_path / "b")
    assert trained_model_info(tmp_path / "b/sft")[2].resolve() == (tmp_path / "b/data").resolve()
    # a run's model folder written by an older sprec with an absolute path: the run's own data wins
    run = tmp_path / "run"
    (run / "models/sft/adapter").mkdir(parents=True)
    (run / "run.json").write_text(json.dumps({"config": {"model": {}}}))
    (run / "models/sft" / MODEL_INFO).write_text(json.dumps({"model": {}, "data": "/elsewhere/gone"}))
    assert trained_model_info(run / "models/sft")[2] == run / "data"
