"""Fast training steps for CPUs: the LM head (vocab x hidden, about a fifth of a small model's FLOPs per
token) is evaluated only where the loss is, i.e. at the positions whose next token is labelled, instead of
on every prompt token (the log-prob code, shared with scoring, is sprec/llm/logprobs.py). The training loop
stays transformers' Trainer (checkpoints, resume, accelerate); only the loss computation is ours.

Assumes a plain causal LM head (logits = lm_head(hidden)), true for Llama, SmolLM, Qwen, Mistral; models
with logit soft-capping or scaling (Gemma 2) should use the TRL path (`engine: trl`)."""

from __future__ import annotations

import dataclasses
import math

import torch
import torch.nn.functional as F

from sprec.llm.logprobs import labelled_token_logps


def warmup_steps(n_rows: int, batch_size: int, grad_accum: int, epochs: float, ratio: float) -> int:
    """Whole warmup steps, rounded down: transformers rounds a ratio up, which gives a one-step run (a short
    self-play iteration) a learning rate of zero for its only step."""
    steps = math.ceil(math.ceil(n_rows / batch_size) / grad_accum * epochs)
    return int(ratio * steps)


def checkpointing_arg(enabled: bool) -> dict[str, bool]:
    """The training-arguments keyword for activation checkpointing: transformers 5.2x renamed
    `gradient_checkpointing` to `activation_checkpointing` and warns on every run given the old name (TRL's
    configs default the old one to True), while earlier 5.x releases know only the old name."""
    from transformers import TrainingArguments

    fields = {f.name for f in dataclasses.fields(TrainingArguments)}
    return {"activation_checkpointing" if "activation_checkpointing" in fields else "gradient_checkpointing": enabled}


def answer_nll(model, input_ids, attention_mask, labels, weights: torch.Tensor | None = None):
    """(sum of the answer tokens' negative log-likelihood, each row's tokens times its weight when given,
    number of answer tokens)."""
    logps, rows = labelled_token_logps(model, input_ids, attention_mask, labels)
    if weights is not None:
        logps = logps * weights.to(logps.dtype)[rows]
    return -logps.sum(), torch.tensor(logps.numel())


def plain_answer_loss(model, input_ids, attention_mask, labels) -> torch.Tensor:
    """The reference computation: full logits at every position, mean cross-entropy over labelled tokens."""
    logits = model(input_ids=input_ids, attention_mask=attention_mask).logits[:, :-1].float()
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1), ignore_index=-100)
