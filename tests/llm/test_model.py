"""Loading, LoRA adapters, save/load round trip, and the errors for a wrong base or a missing model."""

import warnings

import pytest
import torch

from sprec.config import LoraSettings, ModelConfig
from sprec.errors import ConfigError, SprecError
from sprec.llm.model import add_lora, export_merged, load_adapter, load_model, save_adapter


def _logits(model, tok):
    model.eval()  # LoRA dropout off
    ids = tok("A user enjoyed", return_tensors="pt").input_ids
    with torch.no_grad():
        return model(ids).logits


def test_adapter_round_trip(tiny_cfg, tmp_path):
    model, tok = load_model(tiny_cfg)
    peft = add_lora(model, tiny_cfg.lora)
    assert {n.split(".")[-3] for n, p in peft.named_parameters() if p.requires_grad} == {"lora_A", "lora_B"}
    with torch.no_grad():
        for name, p in peft.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.5)  # LoRA B starts at zero: move it so the adapter changes the output
    before = _logits(peft, tok)
    save_adapter(peft, tmp_path / "adapter", tiny_cfg)
    fresh, _ = load_model(tiny_cfg, adapter=tmp_path / "adapter")
    assert torch.allclose(_logits(fresh, tok), before, atol=1e-5)
    assert not any("lora_" in n for n, _ in fresh.named_parameters())  # merged: plain weights, no LoRA layers
    base, _ = load_model(tiny_cfg)
    assert not torch.allclose(_logits(base, tok), before, atol=1e-3)
    merged = export_merged(fresh, tok, tmp_path / "merged")
    again, _ = load_model(ModelConfig(name=str(merged), dtype="float32"))
    assert torch.allclose(_logits(again, tok), before, atol=1e-4)


def test_wrapping_in_peft_does_not_warn_about_transformers_renamed_attribute(tiny_cfg, tmp_path):
    model, _ = load_model(tiny_cfg)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        save_adapter(add_lora(model, tiny_cfg.lora), tmp_path / "adapter", tiny_cfg)
        load_adapter(load_model(tiny_cfg)[0], tmp_path / "adapter", tiny_cfg, trainable=True)
    assert not [w for w in caught if "is_gradient_checkpointing" in str(w.message)]


def test_adapter_for_another_base_is_refused(tiny_cfg, tmp_path):
    model, _ = load_model(tiny_cfg)
    save_adapter(add_lora(model, tiny_cfg.lora), tmp_path / "adapter", tiny_cfg)
    with pytest.raises(SprecError, match="was trained on"):
        load_adapter(model, tmp_path / "adapter", ModelConfig(name="some/other-model"))


def test_unknown_lora_targets_and_missing_model(tiny_cfg, tmp_path):
    model, _ = load_model(tiny_cfg)
    with pytest.raises(ConfigError, match=r"\['c_attn'\] are not modules"):
        add_lora(model, LoraSettings(target_modules=["q_proj", "c_attn"]))
    with pytest.raises(SprecError, match="No network is used at run time"):
        load_model(ModelConfig(name=str(tmp_path / "nowhere")))


def test_an_adapter_without_its_weights_is_named_before_the_base_model_loads(tiny_cfg, tmp_path, monkeypatch):
    import transformers

    model, _ = load_model(tiny_cfg)
    adapter = save_adapter(add_lora(model, tiny_cfg.lora), tmp_path / "adapter", tiny_cfg)
    (adapter / "adapter_model.safetensors").unlink()
    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", None)  # loading it would fail louder
    with pytest.raises(SprecError, match=r"adapter: the adapter's weights are missing \(adapter_model.safetensors"):
        load_model(tiny_cfg, adapter=adapter)


def test_an_unwritable_cache_is_named_before_the_conversion(tmp_path, monkeypatch):
    from sprec.llm.model import model_path

    (tmp_path / "file").write_text("")
    monkeypatch.setenv("SPREC_CACHE", str(tmp_path / "file" / "cache"))  # under a file: no folder can be made
    with pytest.raises(SprecError, match=r"cannot write the converted model to .*file/cache/models .* SPREC_CACHE"):
        model_path(ModelConfig())
