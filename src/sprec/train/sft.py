"""Supervised fine-tuning on (history -> true next item) with TRL's SFTTrainer: LoRA, completion-only loss
(the prompt is not trained on), EOS after the answer (SPREC.md section 4, fault 2), validation loss and
checkpoints on a schedule, resumable."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path

import numpy as np
import torch

from sprec.config import ModelConfig, SFTSettings
from sprec.data.dataset import Dataset, Example
from sprec.distributed import is_main_process, on_cpu, wait_for_everyone
from sprec.errors import ConfigError, DataError
from sprec.io import read_json, write_json
from sprec.llm.model import add_lora, autocast_bf16, load_adapter, load_model, save_adapter, training_config
from sprec.llm.prompts import Prompter
from sprec.train.checkpoints import resume_point, stage_loss
from sprec.train.fast import checkpointing_arg, warmup_steps

DONE = "sft_done.json"
MODEL_INFO = "model.json"  # what `sprec recommend --model DIR` needs: the model config and the dataset folder


def training_subset(rows: list[Example], n: int | None, seed: int) -> list[Example]:
    """The first n of a seeded permutation of the rows whose target is in the catalog."""
    rows = [e for e in rows if e.target is not None]
    if n is None or n >= len(rows):
        return rows
    return [rows[i] for i in np.random.default_rng(seed).permutation(len(rows))[:n]]


def tokenized(prompter: Prompter, rows: list[Example], weights: list[float] | None = None):
    """A pre-tokenized dataset: TRL builds labels from completion_mask (loss on the answer only); with `weights`,
    each example's loss weight (a `loss_weight` column)."""
    from datasets import Dataset as HFDataset

    records = {"input_ids": [], "completion_mask": []}
    for e in rows:
        p, a = prompter.encode(e)
        records["input_ids"].append(p + a)
        records["completion_mask"].append([0] * len(p) + [1] * len(a))
    if weights is not None:
        records["loss_weight"] = [float(w) for w in weights]
    return HFDataset.from_dict(records)


def popularity_weights(rows: list[Example], popularity, exponent: float) -> list[float]:
    """Re-weighted SFT: each example's loss weight proportional to popularity(target)^-exponent (training
    popularity, at least 1), normalised to mean 1 over the rows: rare targets count more, popular ones less."""
    raw = [max(int(popularity[e.target]), 1) ** -exponent for e in rows]
    mean = sum(raw) / len(raw)
    return [w / mean for w in raw]


def trl_config(s: SFTSettings, out: Path, has_eval: bool, n_rows: int):
    import importlib.util

    from trl import SFTConfig

    if s.tensorboard and importlib.util.find_spec("tensorboard") is None:
        raise ConfigError("sft.tensorboard needs the tensorboard package: pip install tensorboard")

    return SFTConfig(
        output_dir=str(out / "checkpoints"),
        per_device_train_batch_size=s.batch_size,
        per_device_eval_batch_size=s.batch_size,
        gradient_accumulation_steps=s.grad_accum,
        num_train_epochs=s.epochs,
        learning_rate=s.learning_rate,
        warmup_steps=warmup_steps(n_rows, s.batch_size, s.grad_accum, s.epochs, s.warmup_ratio),
        lr_scheduler_type="cosine",
        completion_only_loss=True,
        **checkpointing_arg(s.gradient_checkpointing),  # TRL defaults to True: only costs time at 135M
        bf16=s.bf16,  # TRL defaults to True
        eval_strategy="steps" if has_eval else "no",
        eval_steps=s.eval_every,
        save_strategy="steps",
        save_steps=s.save_every,
        save_total_limit=2,
        logging_steps=max(1, min(10, s.eval_every)),
        report_to=["tensorboard"] if s.tensorboard else "none",
        seed=s.seed,
        data_seed=s.seed,
        max_length=None,  # prompts are already fitted to model.max_prompt_tokens
        dataloader_num_workers=0,
        dataloader_pin_memory=False,
        use_cpu=on_cpu(),
        # batches of similar lengths pad less (about 10% faster here); TRL's own path keeps its random order
        train_sampling_strategy="group_by_length" if s.engine == "fast" else "random",
    )


class _WeightPassingCollator:
    """TRL's collator, with each example's `loss_weight` (when the dataset has one) passed through as a tensor."""

    def __init__(self, base):
        self.base = base

    def __call__(self, examples):
        if "loss_weight" not in examples[0]:
            return self.base(examples)
        weights = torch.tensor([e["loss_weight"] for e in examples], dtype=torch.float32)
        batch = self.base([{k: v for k, v in e.items() if k != "loss_weight"} for e in examples])
        return {**batch, "loss_weight": weights}


def _fast_sft_trainer_class():
    """TRL's SFTTrainer with sprec's loss step: logits only at answer positions (train/fast.py)."""
    from trl import SFTTrainer

    from sprec.train.fast import answer_nll

    class FastSFTTrainer(SFTTrainer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.data_collator = _WeightPassingCollator(self.data_collator)

        def _set_signature_columns_if_needed(self):
            super()._set_signature_columns_if_needed()
            self._signature_columns = [*self._signature_columns, "loss_weight"]  # kept for the collator

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            weights = inputs.pop("loss_weight", None)
            nll, n_tokens = answer_nll(model, inputs["input_ids"], inputs["attention_mask"], inputs["labels"],
                                       weights)  # fmt: skip
            # like TRL: normalise by the answer tokens of the whole accumulated batch when the Trainer counts them
            denom = n_tokens if num_items_in_batch is None else num_items_in_batch
            loss = nll / torch.as_tensor(denom).clamp(min=1)
            if self.args.average_tokens_across_devices and num_items_in_batch is not None:
                loss = loss * self.accelerator.num_processes
            return (loss, None) if return_outputs else loss

    return FastSFTTrainer


def train_sft(dataset: Dataset, model_cfg: ModelConfig, s: SFTSettings, out_dir: str | Path,
              init_adapter: str | Path | None = None, rows: list[Example] | None = None,
              weights: list[float] | None = None) -> Path:  # fmt: skip
    """Train (or resume) an SFT adapter in `out_dir`; returns the adapter folder `out_dir/adapter`.
    rows: the training examples (default: a seeded subset of `s.examples` training rows); weights: their loss
    weights (engine fast only; re-weighted SFT)."""
    s = dataclasses.replace(s, bf16=autocast_bf16(s.bf16, model_cfg))
    from transformers import set_seed
    from trl import SFTTrainer

    trainer_class = _fast_sft_trainer_class() if s.engine == "fast" else SFTTrainer
    out = Path(out_dir)
    if (out / DONE).exists():
        return out / "adapter"
    set_seed(s.seed)  # the LoRA starting weights too: two runs of one config give the same adapter
    model, tok = load_model(training_config(model_cfg))
    model = (
        load_adapter(model, init_adapter, model_cfg, trainable=True)
        if init_adapter
        else add_lora(model, model_cfg.lora)
    )
    prompter = Prompter.for_run(tok, dataset, model_cfg)
    rows = training_subset(dataset.splits["train"], s.examples, s.seed) if rows is None else rows
    if not rows:
        raise DataError("no training example with a target in the catalog", dataset.name)
    valid = training_subset(dataset.splits.get("valid", []), s.eval_examples, s.seed) if s.eval_examples else []
    args = trl_config(s, out, bool(valid), len(rows))
    eval_data = tokenized(prompter, valid) if valid else None
    if weights is not None and s.engine != "fast":
        raise ConfigError("per-example loss weights (sft-reweighted) need sft.engine: fast")
    train_data = tokenized(prompter, rows, weights)
    trainer = trainer_class(model=model, args=args, train_dataset=train_data, eval_dataset=eval_data,
                            processing_class=tok)  # fmt: skip
    resumed = resume_point(out / "checkpoints")
    start = time.time()
    result = trainer.train(resume_from_checkpoint=str(resumed) if resumed else None)
    seconds = time.time() - start
    wait_for_everyone()
    if not is_main_process():  # the main process writes the adapter and the summary
        wait_for_everyone()
        return out / "adapter"
    save_adapter(trainer.model, out / "adapter", model_cfg)
    history = trainer.state.log_history
    write_json(out / "log_history.json", history)
    summary = {
        "examples": len(rows),
        "epochs": s.epochs,
        "train_loss": stage_loss(trainer.state.log_history, result.training_loss),
        "eval_loss": [h["eval_loss"] for h in history if "eval_loss" in h],
        "seconds": round(seconds, 1),
        "seconds_per_example": round(seconds / (len(rows) * s.epochs), 3),
        "resumed_from": str(resumed) if resumed else None,
        "processes": trainer.args.world_size,
        "prompt_stats": dict(prompter.stats),
    }
    # the data folder relative to this one: a moved or copied run (or model folder with its data) stays whole
    write_json(out / MODEL_INFO, {"model": dataclasses.asdict(model_cfg), "data": os.path.relpath(dataset.path, out)})
    write_json(out / DONE, summary)
    wait_for_everyone()
    return out / "adapter"


def sft_summary(out_dir: str | Path) -> dict:
    return json.loads((Path(out_dir) / DONE).read_text())


def trained_model_info(out_dir: str | Path) -> tuple[ModelConfig, Path, Path]:
    """(model config, adapter folder, dataset folder) of a trained model: a `sprec train sft` folder (model.json
    + adapter/), or any model folder inside a `sprec run` folder (models/sft, models/dpo, models/sdpo,
    models/sprec/iteration-N; the run's run.json gives the model config and run_dir/data the dataset)."""
    from sprec.config import from_dict

    out = Path(out_dir)
    run = next((d for d in (out, *out.parents) if (d / "run.json").exists()), None)
    if (out / MODEL_INFO).exists() and (out / "adapter").exists():
        info = read_json(out / MODEL_INFO)
        if not isinstance(info, dict) or not isinstance(info.get("model"), dict) or "data" not in info:
            raise DataError('expected {"model": {...}, "data": FOLDER}, as `sprec train sft` writes', out / MODEL_INFO)
        # inside a run, the run's own data (older model.json files hold the absolute path of where the run was)
        data = run / "data" if run is not None else out / info["data"]
        return from_dict(ModelConfig, info["model"], str(out / MODEL_INFO)), out / "adapter", data
    # a self-play iteration's model is the adapter of its DPO step
    found = [a for a in (out / "adapter", out / "dpo" / "adapter") if (a / "adapter_config.json").exists()]
    adapter = found[0] if found else None
    if adapter is None or run is None:
        raise DataError("not a trained model: give a `sprec train sft --out` folder or a model folder of a `sprec "
                        "run` (RUN/models/sft, RUN/models/dpo, RUN/models/sprec/iteration-2, ...)", out)  # fmt: skip
    model = (read_json(run / "run.json").get("config") or {}).get("model") or {}
    return from_dict(ModelConfig, model, str(run / "run.json")), adapter, run / "data"
