from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FIXTURES = Path(__file__).parent / "fixtures"


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

    return ModelConfig(name=str(tiny_model_dir))


def tiny_d3_config(model_dir, run_dir) -> dict:
    """A whole experiment in seconds: the hand-made D3 fixture (6 items) and the tiny model."""
    d3 = FIXTURES / "d3"
    return {
        "run_dir": str(run_dir),
        "data": {"name": "d3", "source": "d3-csv", "genre_groups": ["fiction", "romance"],
                 "paths": {s: str(d3 / f"{s}.csv") for s in ("train", "valid", "test")}
                 | {"items": str(d3 / "items.txt"), "genres": str(d3 / "name2genre.json")}},
        "methods": ["popularity", "sft", "dpo", "sprec"],
        "groundings": ["trie"],
        "eval": {"ks": [1, 2]},
        "model": {"name": str(model_dir)},
        "sft": {"examples": 4, "batch_size": 1, "eval_examples": 0, "learning_rate": 1.0e-3},
        "dpo": {"batch_size": 1, "grad_accum": 1},
        "selfplay": {"iterations": 1, "prompts": 4, "batch_size": 4,
                     "sft": {"batch_size": 1, "eval_examples": 0}, "dpo": {"batch_size": 1, "grad_accum": 1}},
        "recommend": {"batch_size": 4},
    }  # fmt: skip
