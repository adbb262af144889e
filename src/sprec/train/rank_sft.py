"""rank-sft: the LLM trained for the job the two-stage system gives it, telling the true next item from the
retriever's other candidates (hard negatives: all plausible), as LlamaRec (2023) trains its ranker.

A training row is (history, the retriever's top-C candidates for it, the true item); when the retriever missed
the true item it takes the place of the last candidate (counted). The loss is the cross-entropy of a softmax over
the candidates' answer log-probabilities (train/losses.candidate_softmax_loss), computed on the same packed
prefix-tree pass that scores candidates (llm/trie_logps), with gradients; `rank_sft.calibrated` subtracts each
answer's history-free log-probability first, as the hybrid's calibrated score does. It starts from the SFT
adapter; the loop is transformers' Trainer (checkpoints, resume), one prompt pass per row."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from sprec.config import ModelConfig, RankSFTSettings
from sprec.data.dataset import Dataset, Example
from sprec.distributed import is_distributed, on_cpu
from sprec.errors import ConfigError, DataError
from sprec.io import read_json, write_json
from sprec.llm.model import autocast_bf16, load_adapter, load_model, save_adapter, training_config
from sprec.llm.prompts import Prompter
from sprec.llm.scoring import cached_prior_logps
from sprec.llm.trie_logps import trie_logps
from sprec.ranking.candidates import Candidates
from sprec.train.checkpoints import resume_point, stage_loss
from sprec.train.fast import checkpointing_arg, warmup_steps
from sprec.train.losses import candidate_softmax_loss

DONE = "rank_sft_done.json"
RankingRow = tuple[Example, list[int], int]  # (row, candidate ids, position of the true item among them)


def ranking_rows(rows: list[Example], cands: Candidates) -> tuple[list[RankingRow], int]:
    """([(row, its candidate ids with the true item among them, the true item's position)], how many rows had
    the true item put in place of their last candidate). A pool that never holds the true item is an error."""
    out, missed = [], 0
    for e, ids in zip(rows, cands.ids.tolist(), strict=True):
        if e.target not in ids:
            ids, missed = [*ids[:-1], e.target], missed + 1
        out.append((e, ids, ids.index(e.target)))
    if out and missed == len(out):
        raise DataError(f"the retriever's {cands.ids.shape[1]} candidates hold the true next item in none of the "
                        f"{len(out)} training rows: nothing to learn to rank (check hybrid.retriever)")  # fmt: skip
    return out, missed


def _trainer_class():
    from transformers import Trainer

    class RankTrainer(Trainer):
        """Each batch is a list of rows {prompt, answers, target}; the loss is their mean softmax cross-entropy."""

        def __init__(self, *args, per_token: bool = False, prompt_grad: bool = True, **kwargs):
            super().__init__(*args, **kwargs)
            self.per_token, self.prompt_grad = per_token, prompt_grad

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            losses = []
            for row in inputs["rows"]:
                logps = trie_logps(model, row["prompt"], row["answers"], self.prompt_grad)
                lengths = torch.tensor([len(a) for a in row["answers"]], device=logps.device)
                prior = torch.tensor(row["prior"], device=logps.device) if "prior" in row else None
                losses.append(candidate_softmax_loss(logps, row["target"], lengths if self.per_token else None, prior))
            loss = torch.stack(losses).mean()
            return (loss, None) if return_outputs else loss

    return RankTrainer


def train_rank_sft(dataset: Dataset, model_cfg: ModelConfig, s: RankSFTSettings, rows: list[RankingRow],
                   out_dir: str | Path, init_adapter: str | Path, missed: int = 0) -> Path:  # fmt: skip
    """Train (or resume) the ranking adapter from `init_adapter` (the SFT model) on `rows` (ranking_rows);
    returns `out_dir/adapter`."""
    from transformers import TrainingArguments, set_seed

    out = Path(out_dir)
    if (out / DONE).exists():
        return out / "adapter"
    if is_distributed():
        raise ConfigError("rank-sft trains in one process (its scoring pass calls the model's layers directly, "
                          "which DistributedDataParallel does not synchronise); run it without accelerate")
    if not rows:
        raise DataError("no training row for rank-sft", out)
    bf16 = autocast_bf16(s.bf16, model_cfg)
    set_seed(s.seed)
    model, tok = load_model(training_config(model_cfg))
    model = load_adapter(model, init_adapter, model_cfg, trainable=True)
    prompter = Prompter.for_run(tok, dataset, model_cfg)
    answers = prompter.all_answer_ids()
    records = [{"prompt": prompter.prompt_ids(e.history), "answers": [answers[i] for i in ids], "target": t}
               for e, ids, t in rows]  # fmt: skip
    if s.calibrated:
        prior = _priors(model, prompter, rows, out / "priors.npz")
        for record, (_, ids, _) in zip(records, rows, strict=True):
            record["prior"] = [prior[i] for i in ids]
    args = TrainingArguments(
        output_dir=str(out / "checkpoints"), per_device_train_batch_size=s.batch_size, num_train_epochs=s.epochs,
        learning_rate=s.learning_rate, warmup_steps=warmup_steps(len(records), s.batch_size, 1, s.epochs, 0.05),
        lr_scheduler_type="cosine", save_strategy="steps", save_steps=s.save_every, save_total_limit=2,
        logging_steps=5, report_to="none", seed=s.seed, data_seed=s.seed, bf16=bf16, remove_unused_columns=False,
        dataloader_pin_memory=False, use_cpu=on_cpu(), **checkpointing_arg(False),
    )  # fmt: skip
    trainer = _trainer_class()(model=model, args=args, train_dataset=records, per_token=s.score == "mean",
                               prompt_grad=s.prompt_grad, data_collator=lambda batch: {"rows": batch})  # fmt: skip
    model.train()
    resumed = resume_point(out / "checkpoints")
    start = time.time()
    result = trainer.train(resume_from_checkpoint=str(resumed) if resumed else None)
    seconds = time.time() - start
    save_adapter(trainer.model, out / "adapter", model_cfg)
    write_json(out / "log_history.json", trainer.state.log_history)
    write_json(out / DONE, {"rows": len(rows), "candidates": len(rows[0][1]), "target_added": missed,
                            "score": s.score, "calibrated": s.calibrated, "prompt_grad": s.prompt_grad,
                            "epochs": s.epochs,
                            "train_loss": stage_loss(trainer.state.log_history, result.training_loss),
                            "chance_loss": round(float(np.log(len(rows[0][1]))), 4),
                            "seconds": round(seconds, 1), "seconds_per_row": round(seconds / (len(rows) * s.epochs), 3),
                            "resumed_from": str(resumed) if resumed else None})  # fmt: skip
    return out / "adapter"


def _priors(model, prompter: Prompter, rows: list[RankingRow], path: Path) -> dict[int, float]:
    """{item: its answer's log-probability under a history-free prompt}, by the starting model, for every candidate
    of `rows` (kept at `path`: a resumed run calibrates by the same constants)."""
    candidates = np.unique([i for _, ids, _ in rows for i in ids])
    items, logps = cached_prior_logps(path, candidates, lambda: (model, prompter))
    return dict(zip(items.tolist(), logps.tolist(), strict=True))


def rank_sft_summary(out_dir: str | Path) -> dict:
    return read_json(Path(out_dir) / DONE)
