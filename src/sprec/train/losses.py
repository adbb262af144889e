"""Preference losses as pure functions of sequence log-probabilities (they never see a model).

h(y) = log pi(y|x) - log pi_ref(y|x) is the implicit reward of answer y (before the factor beta).
- DPO (Rafailov et al. 2023): loss = -log sigmoid(beta * (h(y_w) - h(y_l))).
- S-DPO (Chen et al. 2024), several rejected answers y_l_1..m:
  loss = -log sigmoid(-log sum_j exp(beta * (h(y_l_j) - h(y_w)))); with one rejected answer it is DPO.
- DMPO (Bai et al. 2024), several rejected answers: the chosen answer against their average,
  loss = -log sigmoid(beta * h(y_w) - (1/m) sum_j beta * h(y_l_j)); with one rejected answer it is DPO.
And the ranking loss of rank-sft (LlamaRec 2023 trains its ranker over its retriever's candidates likewise):
- softmax over a row's candidates c_1..C of their answers' log-probabilities s_j (summed over the tokens, or
  per token), the true item t one of them: loss = -log (exp s_t / sum_j exp s_j).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def sequence_logps(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Sum of log pi(token) over the labelled positions of each row (labels -100 are ignored).
    logits: (B, T, V) predicting position t+1 from t; labels: (B, T) aligned with the inputs."""
    logits, labels = logits[:, :-1], labels[:, 1:]
    mask = labels != -100
    token_logps = torch.gather(logits.log_softmax(-1), 2, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return (token_logps * mask).sum(-1)


Losses = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


def _rewards(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta: float):
    """The implicit rewards beta * h(y) of the chosen and the rejected answers."""
    return beta * (policy_chosen - ref_chosen), beta * (policy_rejected - ref_rejected)


def dpo_loss(
    policy_chosen: torch.Tensor,
    policy_rejected: torch.Tensor,
    ref_chosen: torch.Tensor,
    ref_rejected: torch.Tensor,
    beta: float,
) -> Losses:
    """Per-example DPO losses and the chosen / rejected rewards beta * h(y). All inputs: (B,)."""
    chosen, rejected = _rewards(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta)
    return -F.logsigmoid(chosen - rejected), chosen.detach(), rejected.detach()


def sdpo_loss(policy_chosen: torch.Tensor, policy_rejected: torch.Tensor, ref_chosen: torch.Tensor,
              ref_rejected: torch.Tensor, beta: float, rejected_mask: torch.Tensor | None = None) -> Losses:
    """Per-example S-DPO losses. chosen: (B,); rejected: (B, M); rejected_mask (B, M) marks real negatives
    (rows may have fewer than M). Returns losses (B,), chosen rewards (B,), rejected rewards (B, M)."""
    chosen, rejected = _rewards(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta)
    margins = rejected - chosen[:, None]
    if rejected_mask is not None:
        margins = margins.masked_fill(~rejected_mask, float("-inf"))
    return -F.logsigmoid(-torch.logsumexp(margins, dim=1)), chosen.detach(), rejected.detach()


def dmpo_loss(policy_chosen: torch.Tensor, policy_rejected: torch.Tensor, ref_chosen: torch.Tensor,
              ref_rejected: torch.Tensor, beta: float, rejected_mask: torch.Tensor | None = None) -> Losses:
    """Per-example DMPO losses; shapes as sdpo_loss (the average runs over the real negatives of each row)."""
    chosen, rejected = _rewards(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta)
    mask = torch.ones_like(rejected, dtype=torch.bool) if rejected_mask is None else rejected_mask
    mean_rejected = (rejected * mask).sum(1) / mask.sum(1).clamp(min=1)
    return -F.logsigmoid(chosen - mean_rejected), chosen.detach(), rejected.detach()


PREFERENCE_LOSSES = {"sdpo": sdpo_loss, "dmpo": dmpo_loss}  # dpo.loss -> function (sdpo with 1 negative: DPO)


def candidate_softmax_loss(logps: torch.Tensor, target: int, lengths: torch.Tensor | None = None,
                           prior: torch.Tensor | None = None) -> torch.Tensor:  # fmt: skip
    """-log softmax(s)[target] for one row's candidate scores s = `logps` (C,), summed log-probabilities of each
    candidate's answer; with `prior` (C,), each answer's log-probability under a history-free prompt (a constant),
    s = logps - prior (calibrated, as the hybrid scores: ranking/fusion.llm_scores); with `lengths` (C,), s is then
    divided by them (per-token scores)."""
    scores = logps if prior is None else logps - prior.to(logps.dtype)
    scores = scores if lengths is None else scores / lengths.to(logps.dtype).clamp(min=1)
    return -torch.log_softmax(scores, dim=0)[target]
