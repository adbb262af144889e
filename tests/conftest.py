"""Fixtures every test folder shares: the real data and tokenizer, a tiny model. Tests that need ../shared (the
real datasets) are marked `shared` by their fixture, so `pytest -m "not shared"` runs the rest anywhere."""

from pathlib import Path

import pytest

from tests.helpers import ROOT, SHARED, tiny_d3_config


def pytest_collection_modifyitems(items):
    for item in items:
        if "shared" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.shared)


@pytest.fixture(scope="session")
def shared() -> Path:
    if not (SHARED / "data").is_dir():
        pytest.fail(f"../shared (real datasets and fixtures) must sit beside the project: {SHARED} not found")
    return SHARED


@pytest.fixture(scope="session")
def goodreads_dataset(shared, tmp_path_factory):
    from sprec.config import load_data_config
    from sprec.data.readers import prepare_dataset

    return prepare_dataset(load_data_config(ROOT / "configs/data/goodreads.yaml"), tmp_path_factory.mktemp("gr"))


@pytest.fixture(scope="session")
def smol_tokenizer():
    """The real SmolLM2 tokenizer (converting the embedded GGUF once per machine, ~25 s)."""
    from sprec.config import ModelConfig
    from sprec.llm.model import load_tokenizer

    return load_tokenizer(ModelConfig())


@pytest.fixture(scope="session")
def tiny_model_dir(smol_tokenizer, tmp_path_factory):
    """A tiny random Llama (2 layers, hidden 64) with the real SmolLM2 tokenizer, saved like any checkpoint."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=len(smol_tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                      tie_word_embeddings=True, eos_token_id=smol_tokenizer.eos_token_id,
                      pad_token_id=smol_tokenizer.pad_token_id)  # fmt: skip
    out = tmp_path_factory.mktemp("tiny-llama")
    LlamaForCausalLM(cfg).save_pretrained(out)
    smol_tokenizer.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def tiny_cfg(tiny_model_dir):
    from sprec.config import ModelConfig

    return ModelConfig(name=str(tiny_model_dir), dtype="float32")  # exact comparisons: one precision everywhere


@pytest.fixture(scope="session")
def finished_run(tiny_model_dir, tmp_path_factory):
    """(config, {row: {K: metrics}} with history allowed) of a finished tiny run with a classical row, an LLM row
    and a two-stage row: what the analyses of finished runs read."""
    from sprec.config import RunConfig, from_dict
    from sprec.experiment.pipeline import run

    raw = tiny_d3_config(tiny_model_dir, tmp_path_factory.mktemp("finished") / "run")
    raw |= {"methods": ["popularity", "itemknn", "sft", "hybrid"], "groundings": ["embedding"],
            "hybrid": {"retriever": "itemknn", "candidates": 5}}  # fmt: skip
    cfg = from_dict(RunConfig, raw)
    return cfg, run(cfg)["history allowed"]
