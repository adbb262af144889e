import pytest

from sprec.config import RunConfig, from_dict
from sprec.experiment.pipeline import run
from tests.helpers import tiny_d3_config


@pytest.fixture(scope="package")
def finished_run(tiny_model_dir, tmp_path_factory):
    """(config, {row: {K: metrics}} with history allowed) of a finished tiny run with a classical row, an LLM row
    and a two-stage row: what the analyses of finished runs read."""
    raw = tiny_d3_config(tiny_model_dir, tmp_path_factory.mktemp("finished") / "run")
    raw |= {"methods": ["popularity", "itemknn", "sft", "hybrid"], "groundings": ["embedding"],
            "hybrid": {"retriever": "itemknn", "candidates": 5}}  # fmt: skip
    cfg = from_dict(RunConfig, raw)
    return cfg, run(cfg)["history allowed"]
