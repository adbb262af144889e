"""Log-probabilities of answers under prompts, computing the LM head only where an answer token is predicted;
for training (train/fast.py, train/dpo.py) and for scoring candidates (llm/scoring.py).

Assumes a plain causal LM head (logits = lm_head(hidden)), true for Llama, SmolLM, Qwen, Mistral."""

from __future__ import annotations

import torch

from sprec.llm.padding import pad_left, pad_right


def causal_lm_parts(model):
    """(decoder body, output head) of a causal LM, looking through DDP and PEFT wrappers (LoRA layers live
    inside the body)."""
    inner = getattr(model, "module", model)  # DistributedDataParallel
    lm = inner.get_base_model() if hasattr(inner, "get_base_model") else inner
    return lm.get_decoder(), lm.get_output_embeddings()


def is_ddp(model) -> bool:
    return isinstance(model, torch.nn.parallel.DistributedDataParallel)


def final_hidden(model, input_ids, attention_mask) -> torch.Tensor:
    """The last (normalised) hidden states, through the model's own forward so that DDP sees the call; the
    head runs on one position only (logits_to_keep=1)."""
    out = model(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True, logits_to_keep=1,
                use_cache=False)  # fmt: skip
    return out.hidden_states[-1]


def labelled_token_logps(model, input_ids, attention_mask, labels) -> tuple[torch.Tensor, torch.Tensor]:
    """log pi(token) of every labelled token (labels != -100, shifted by one) and the row it belongs to."""
    _, head = causal_lm_parts(model)
    hidden = final_hidden(model, input_ids, attention_mask)
    target = labels[:, 1:]
    selected = target != -100
    logits = head(hidden[:, :-1][selected]).float()  # (n_labelled, vocab): the only logits computed
    logps = logits.log_softmax(-1).gather(1, target[selected].unsqueeze(1)).squeeze(1)
    return logps, selected.nonzero()[:, 0]


def sequence_logps(model, input_ids, attention_mask, labels) -> torch.Tensor:
    """Per-row sum of the labelled tokens' log-probs (log pi(answer | prompt)), shape (B,)."""
    logps, rows = labelled_token_logps(model, input_ids, attention_mask, labels)
    return torch.zeros(input_ids.shape[0], dtype=logps.dtype, device=logps.device).index_add(0, rows, logps)


def separate_logps(model, prompts: list[list[int]], answers: list[list[list[int]]], pad_id: int) -> torch.Tensor:
    """log pi(answer | prompt) with each (prompt, answer) as its own sequence, in one forward; shape (B, R)."""
    seqs = [p + a for p, row in zip(prompts, answers, strict=True) for a in row]
    ids, mask = pad_right(seqs, pad_id)
    labels = torch.full_like(ids, -100)
    for r, (p, a) in enumerate((p, a) for p, row in zip(prompts, answers, strict=True) for a in row):
        labels[r, len(p) : len(p) + len(a)] = torch.tensor(a)
    return sequence_logps(model, ids, mask, labels).view(len(prompts), len(answers[0]))


def shared_prompt_logps(model, prompts: list[list[int]], answers: list[list[list[int]]], pad_id: int) -> torch.Tensor:
    """log pi(answer | prompt) for several answers per prompt, running each prompt through the model once.

    prompts: B token lists; answers: B lists of R answers each (same R for every prompt: chosen first, then
    the rejected ones). The prompt's key/value cache is computed once, repeated R times, and every answer
    runs on top of it; gradients flow back through the cache into the shared prompt computation. A DPO pair
    costs one prompt pass instead of two (S-DPO with m negatives: one instead of m + 1). Returns (B, R).
    """
    n_answers = len(answers[0])
    if any(len(a) != n_answers for a in answers):
        raise ValueError("every prompt needs the same number of answers (pad with repeats and mask the losses)")
    if is_ddp(model):  # DDP syncs gradients of one forward per step: one batch of whole sequences instead
        return separate_logps(model, prompts, answers, pad_id)
    body, head = causal_lm_parts(model)
    p_ids, p_mask = pad_left(prompts, pad_id)
    p_pos = (p_mask.cumsum(1) - 1).clamp(min=0)
    out = body(input_ids=p_ids, attention_mask=p_mask, position_ids=p_pos, use_cache=True)
    cache, last = out.past_key_values, out.last_hidden_state[:, -1]  # last prompt token predicts answer token 1
    cache.batch_repeat_interleave(n_answers)
    a_ids, a_mask = pad_right([a for row in answers for a in row], pad_id)
    width = p_ids.shape[1]
    a_pos = p_mask.sum(1).repeat_interleave(n_answers)[:, None] + torch.arange(a_ids.shape[1])[None, :]
    hidden = body(input_ids=a_ids, attention_mask=torch.cat([p_mask.repeat_interleave(n_answers, 0), a_mask], 1),
                  position_ids=a_pos, past_key_values=cache, use_cache=True,
                  cache_position=torch.arange(width, width + a_ids.shape[1])).last_hidden_state  # fmt: skip
    predictors = torch.cat([last.repeat_interleave(n_answers, 0)[:, None], hidden[:, :-1]], 1)
    selected = a_mask.bool()
    logits = head(predictors[selected]).float()
    logps = logits.log_softmax(-1).gather(1, a_ids[selected].unsqueeze(1)).squeeze(1)
    rows = selected.nonzero()[:, 0]
    per_answer = torch.zeros(a_ids.shape[0], dtype=logps.dtype).index_add(0, rows, logps)
    return per_answer.view(len(prompts), n_answers)
