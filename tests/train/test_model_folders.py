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
