"""Fast training steps for CPUs: the LM head (vocab x hidden, about a fifth of a small model's FLOPs per
token) is evaluated only where the loss is, i.e. at the positions whose next token is labelled, instead of
on every prompt token. The training loop stays transformers' Trainer (checkpoints, resume, accelerate);
only the loss computation is ours.

Assumes a plain causal LM head (logits = lm_head(hidden)), true for Llama, SmolLM, Qwen, Mistral; models
with logit soft-capping or scaling (Gemma 2) should use the TRL path (`engine: trl`)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def causal_lm_parts(model):
    """(decoder body, output head) of a causal LM, looking through a PEFT wrapper (LoRA layers live inside)."""
    lm = model.get_base_model() if hasattr(model, "get_base_model") else model
    return lm.get_decoder(), lm.get_output_embeddings()


def labelled_token_logps(model, input_ids, attention_mask, labels) -> tuple[torch.Tensor, torch.Tensor]:
    """log pi(token) of every labelled token (labels != -100, shifted by one) and the row it belongs to."""
    body, head = causal_lm_parts(model)
    hidden = body(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).last_hidden_state
    target = labels[:, 1:]
    selected = target != -100
    logits = head(hidden[:, :-1][selected]).float()  # (n_labelled, vocab): the only logits computed
    logps = logits.log_softmax(-1).gather(1, target[selected].unsqueeze(1)).squeeze(1)
    return logps, selected.nonzero()[:, 0]


def answer_nll(model, input_ids, attention_mask, labels) -> tuple[torch.Tensor, torch.Tensor]:
    """(sum of the answer tokens' negative log-likelihood, number of answer tokens)."""
    logps, _ = labelled_token_logps(model, input_ids, attention_mask, labels)
    return -logps.sum(), torch.tensor(logps.numel())


def sequence_logps(model, input_ids, attention_mask, labels) -> torch.Tensor:
    """Per-row sum of the labelled tokens' log-probs (log pi(answer | prompt)), shape (B,)."""
    logps, rows = labelled_token_logps(model, input_ids, attention_mask, labels)
    return torch.zeros(input_ids.shape[0], dtype=logps.dtype, device=logps.device).index_add(0, rows, logps)


def plain_answer_loss(model, input_ids, attention_mask, labels) -> torch.Tensor:
    """The reference computation: full logits at every position, mean cross-entropy over labelled tokens."""
    logits = model(input_ids=input_ids, attention_mask=attention_mask).logits[:, :-1].float()
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1), ignore_index=-100)
