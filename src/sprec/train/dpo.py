"""Preference training: DPO (one rejected answer), S-DPO and DMPO (several), from a starting adapter whose frozen
state is the reference (SPREC.md section 2). Engines: `fast` (sprec's step: shared-prompt forward, the
reference log-probs computed once before training, S-DPO loss of train/losses.py) or `trl` (TRL's
DPOTrainer, the starting adapter loaded a second time as the frozen "ref" adapter)."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from sprec.config import DPOSettings, ModelConfig
from sprec.data.dataset import Dataset, Example
from sprec.distributed import is_main_process, main_process_first, on_cpu, wait_for_everyone
from sprec.errors import DataError
from sprec.io import read_json, write_json
from sprec.llm.logprobs import shared_prompt_logps
from sprec.llm.model import autocast_bf16, load_adapter, load_model, save_adapter, training_config
from sprec.llm.prompts import Prompter
from sprec.train.checkpoints import resume_point, stage_loss
from sprec.train.fast import checkpointing_arg, warmup_steps
from sprec.train.losses import PREFERENCE_LOSSES

DONE = "dpo_done.json"


@dataclass(frozen=True)
class PreferencePair:
    history: tuple[int, ...]
    chosen: int  # the true next item
    rejected: tuple[int, ...]  # one (DPO) or several (S-DPO) items, never the chosen one


def random_negative_pairs(rows: list[Example], n_items: int, negatives: int, seed: int) -> list[PreferencePair]:
    """DPO with random negatives: for each row, `negatives` distinct random catalog items other than the target."""
    rng = np.random.default_rng(seed)
    pairs = []
    for e in rows:
        if e.target is None:
            continue
        picks: list[int] = []
        while len(picks) < negatives:
            i = int(rng.integers(n_items))
            if i != e.target and i not in picks:
                picks.append(i)
        pairs.append(PreferencePair(e.history, e.target, tuple(picks)))
    return pairs


def semantic_negative_pairs(rows: list[Example], item_vectors: np.ndarray) -> list[PreferencePair]:
    """RosePO-style semantic negatives: each row's rejected item is the catalog item whose title embedding is
    closest (cosine) to the true next item's, never the item itself nor one of the row's history items: a hard
    negative that is about the same thing, instead of a random one."""
    unit = item_vectors / np.maximum(np.linalg.norm(item_vectors, axis=1, keepdims=True), 1e-12)
    pairs = []
    for e in rows:
        if e.target is None:
            continue
        sim = unit @ unit[e.target]
        sim[[e.target, *e.history]] = -np.inf
        pairs.append(PreferencePair(e.history, e.target, (int(np.argmax(sim)),)))
    return pairs


def _records(prompter: Prompter, pairs: list[PreferencePair]) -> list[dict]:
    out = []
    for p in pairs:
        if p.chosen in p.rejected or not p.rejected:
            raise DataError(f"a preference pair needs rejected items other than the chosen one: {p}")
        answers = [prompter.answer_ids(p.chosen), *(prompter.answer_ids(r) for r in p.rejected)]
        prompt = prompter.prompt_ids(p.history)
        out.append({"prompt_ids": prompt, "answer_ids": answers, "length": len(prompt) + sum(map(len, answers))})
    return out


def _pad_answers(answers: list[list[list[int]]]) -> tuple[list[list[list[int]]], torch.Tensor]:
    """Give every row the same number of rejected answers (repeats of its first one, masked out)."""
    most = max(len(a) for a in answers)
    mask = torch.tensor([[j < len(a) - 1 for j in range(most - 1)] for a in answers])
    return [a + [a[1]] * (most - len(a)) for a in answers], mask


@torch.no_grad()
def reference_logps(model, records: list[dict], pad_id: int, batch_size: int) -> list[list[float]]:
    """log pi_ref(answer | prompt) of every answer, with the model as it is now (frozen for the whole stage)."""
    model.eval()
    out = []
    for i in range(0, len(records), batch_size):
        chunk = records[i : i + batch_size]
        answers, _ = _pad_answers([r["answer_ids"] for r in chunk])
        logps = shared_prompt_logps(model, [r["prompt_ids"] for r in chunk], answers, pad_id)
        out += [row[: len(r["answer_ids"])] for row, r in zip(logps.tolist(), chunk, strict=True)]
    return out


def _fast_trainer(model, tok, args, records, beta, loss_name: str = "sdpo"):
    from datasets import Dataset as HFDataset
    from transformers import Trainer

    pad = tok.pad_token_id

    def collate(rows):
        answers, mask = _pad_answers([r["answer_ids"] for r in rows])
        refs, _ = _pad_answers([[[x] for x in r["ref_logps"]] for r in rows])
        return {"prompts": [r["prompt_ids"] for r in rows], "answers": answers, "rejected_mask": mask,
                "ref": torch.tensor([[x[0] for x in row] for row in refs])}  # fmt: skip

    class FastDPOTrainer(Trainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            logps = shared_prompt_logps(model, inputs["prompts"], inputs["answers"], pad)
            ref = inputs["ref"]
            loss_fn = PREFERENCE_LOSSES[loss_name]
            losses, _, _ = loss_fn(logps[:, 0], logps[:, 1:], ref[:, 0], ref[:, 1:], beta, inputs["rejected_mask"])
            return (losses.mean(), None) if return_outputs else losses.mean()

    data = HFDataset.from_list(records)
    return FastDPOTrainer(model=model, args=args, train_dataset=data, data_collator=collate, processing_class=tok)


def _trl_trainer(model, tok, args, records):
    from datasets import Dataset as HFDataset
    from trl import DPOTrainer

    class PreTokenizedDPOTrainer(DPOTrainer):
        """Keeps sprec's tokens (prompt and answer tokenized apart, as everywhere in sprec): TRL 1.16 would
        re-tokenize prompt + answer from text."""

        def _prepare_dataset(self, dataset, *args, **kwargs):
            return dataset

    # TRL copies the starting adapter as a frozen adapter named "ref" and uses it as the reference
    data = HFDataset.from_list(
        [
            {"prompt_ids": r["prompt_ids"], "chosen_ids": r["answer_ids"][0], "rejected_ids": r["answer_ids"][1]}
            for r in records
        ]  # fmt: skip
    )
    return PreTokenizedDPOTrainer(model=model, args=args, train_dataset=data, processing_class=tok)


def training_args(s: DPOSettings, out: Path, n_pairs: int):
    common = dict(
        output_dir=str(out / "checkpoints"), per_device_train_batch_size=s.batch_size,
        gradient_accumulation_steps=s.grad_accum, num_train_epochs=s.epochs, learning_rate=s.learning_rate,
        warmup_steps=warmup_steps(n_pairs, s.batch_size, s.grad_accum, s.epochs, s.warmup_ratio),
        lr_scheduler_type="cosine", save_strategy="steps", save_steps=s.save_every, save_total_limit=2,
        logging_steps=5, report_to="none", seed=s.seed, data_seed=s.seed, bf16=s.bf16,
        dataloader_pin_memory=False, use_cpu=on_cpu(), **checkpointing_arg(s.gradient_checkpointing),
        train_sampling_strategy="group_by_length" if s.engine == "fast" else "random",
    )  # fmt: skip
    if s.engine == "trl":
        from trl import DPOConfig

        return DPOConfig(**common, beta=s.beta, max_length=None)
    from transformers import TrainingArguments

    return TrainingArguments(**common, remove_unused_columns=False)


def train_dpo(dataset: Dataset, model_cfg: ModelConfig, s: DPOSettings, pairs: list[PreferencePair],
              out_dir: str | Path, init_adapter: str | Path) -> Path:  # fmt: skip
    """Train (or resume) a DPO / S-DPO adapter from `init_adapter` (also the frozen reference); returns
    `out_dir/adapter`."""
    s = dataclasses.replace(s, bf16=autocast_bf16(s.bf16, model_cfg))
    out = Path(out_dir)
    if (out / DONE).exists():
        return out / "adapter"
    if not pairs:
        raise DataError("no preference pair to train on", out)
    model, tok = load_model(training_config(model_cfg))
    model = load_adapter(model, init_adapter, model_cfg, trainable=True)
    prompter = Prompter.for_run(tok, dataset, model_cfg)
    records = _records(prompter, pairs)
    start = time.time()
    if s.engine == "fast":
        refs = out / "reference_logps.json"  # computed once per stage; reused on resume
        with main_process_first():
            if not refs.exists():
                write_json(refs, reference_logps(model, records, tok.pad_token_id, s.batch_size))
        for r, ref in zip(records, read_json(refs), strict=True):
            r["ref_logps"] = ref
        model.train()
        trainer = _fast_trainer(model, tok, training_args(s, out, len(records)), records, s.beta, s.loss)
    else:
        trainer = _trl_trainer(model, tok, training_args(s, out, len(records)), records)
    resumed = resume_point(out / "checkpoints")
    result = trainer.train(resume_from_checkpoint=str(resumed) if resumed else None)
    seconds = time.time() - start
    if "ref" in getattr(trainer.model, "peft_config", {}):
        trainer.model.delete_adapter("ref")
    wait_for_everyone()
    if not is_main_process():  # the main process writes the adapter and the summary
        wait_for_everyone()
        return out / "adapter"
    save_adapter(trainer.model, out / "adapter", model_cfg)
    write_json(out / "log_history.json", trainer.state.log_history)
    write_json(out / DONE, {"pairs": len(pairs), "negatives": s.negatives, "engine": s.engine,
                            "train_loss": stage_loss(trainer.state.log_history, result.training_loss),
                            "seconds": round(seconds, 1),
                            "seconds_per_pair": round(seconds / (len(pairs) * s.epochs), 3),
                            "resumed_from": str(resumed) if resumed else None,
                            "processes": trainer.args.world_size})  # fmt: skip
    wait_for_everyone()
    return out / "adapter"


def dpo_summary(out_dir: str | Path) -> dict:
    return read_json(Path(out_dir) / DONE)
