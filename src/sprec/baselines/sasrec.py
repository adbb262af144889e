"""SASRec (Kang & McAuley, ICDM 2018), the classical sequential baseline of SPREC.md section 5, on the same
prepared splits as the LLM: a causal self-attention encoder (pre-LayerNorm, learned positions, padding keys
masked) over item ids whose state after each item scores every catalog item (dot product with the shared item
embeddings, plus a learnt item bias). Trained with a full softmax over the catalog at every next-item position
of history + target (cross-entropy SASRec: with a catalog of a few thousand items the full softmax is cheap,
and it trains better than sampled negatives). The epoch with the best validation NDCG@10 is kept.
Reference numbers on the shared data: shared/docs/REFERENCE.md.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from sprec.config import SASRecSettings
from sprec.data.dataset import Dataset, Example, histories
from sprec.evaluation.metrics import hit_positions, ndcg
from sprec.io import read_json, write_json
from sprec.ranking.topk import top_k

PAD = 0  # item i is token i + 1


class SASRec(nn.Module):
    def __init__(self, n_items: int, max_len: int, s: SASRecSettings):
        super().__init__()
        self.items = nn.Embedding(n_items + 1, s.hidden, padding_idx=PAD)
        self.positions = nn.Embedding(max_len, s.hidden)
        layer = nn.TransformerEncoderLayer(s.hidden, s.heads, 4 * s.hidden, s.dropout, batch_first=True,
                                           norm_first=True)  # fmt: skip
        self.encoder = nn.TransformerEncoder(layer, s.blocks, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(s.hidden)
        self.dropout = nn.Dropout(s.dropout)
        self.bias = nn.Parameter(torch.zeros(n_items))  # lets popularity be learnt apart from the sequence
        self.heads = s.heads
        # Small normal init, zero padding row. With nn.Embedding's N(0, 1), the sqrt(d) input scale and the tied
        # output layer, the untrained model scores the item it just read far above every other (a loss of ~63
        # on Goodreads where uniform guessing gives log 4,058 = 8.3) and Adam at lr 1e-3 never gets out.
        nn.init.normal_(self.items.weight, std=0.02)
        nn.init.normal_(self.positions.weight, std=0.02)
        with torch.no_grad():
            self.items.weight[PAD].zero_()

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """(B, L) right-aligned tokens -> (B, L, n_items) scores of the next item after each position."""
        length = tokens.shape[1]
        pad = tokens == PAD
        x = self.items(tokens) * self.items.embedding_dim**0.5 + self.positions.weight[-length:]
        x = self.dropout(x) * ~pad[..., None]
        # a query sees earlier non-padding keys, and always itself (a row with every key masked gives NaN)
        later = torch.ones(length, length, dtype=torch.bool).triu(1)
        blocked = (later | pad[:, None, :]) & ~torch.eye(length, dtype=torch.bool)
        h = self.norm(self.encoder(x, mask=blocked.repeat_interleave(self.heads, 0)))
        return h @ self.items.weight[1:].T + self.bias


def next_item_loss(model: SASRec, tokens: torch.Tensor) -> torch.Tensor:
    """Mean full-softmax cross-entropy of the next item at every position of (B, L) sequences whose input
    and next item are both real items (nothing is predicted from padding)."""
    inputs, targets = tokens[:, :-1], tokens[:, 1:] - 1
    targets = targets.masked_fill(inputs == PAD, -1)
    return nn.functional.cross_entropy(model(inputs).flatten(0, 1), targets.flatten(), ignore_index=-1)


def sequences(examples: list[Example], max_len: int) -> torch.Tensor:
    """History + target (when known) of each row as tokens, right-aligned and left-padded to max_len."""
    out = torch.full((len(examples), max_len), PAD, dtype=torch.long)
    for r, e in enumerate(examples):
        seq = [*e.history, *([] if e.target is None else [e.target])][-max_len:]
        if seq:
            out[r, -len(seq) :] = torch.tensor(seq) + 1
    return out


@torch.no_grad()
def score_sasrec(model: SASRec, examples: list[Example], batch_size: int = 256) -> np.ndarray:
    """(N, n_items) scores of every item as the next one after each row's history."""
    model.eval()
    max_len = model.positions.num_embeddings
    out = [model(sequences([Example(e.history, None) for e in examples[start : start + batch_size]], max_len))[:, -1]
           for start in range(0, len(examples), batch_size)]  # fmt: skip
    return torch.cat(out).double().numpy() if out else np.empty((0, model.bias.numel()))


def recommend_sasrec(model: SASRec, examples: list[Example], k: int, exclude_history: bool) -> np.ndarray:
    """(N, k) item ids by score after the last history item, best first (ties: smaller id)."""
    excluded = histories(examples, exclude_history)
    return top_k(score_sasrec(model, examples), k, excluded)


def epoch_windows(examples: list[Example], stride: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of the training windows of one epoch: of each user's windows (in time order) every `stride`-th,
    from a random offset. A user's overlapping windows repeat the same next-item positions (the loss is taken
    at every position), so a stride of about the window length sees each position about once per epoch
    instead of ~11 times; rows without a user id are windows of their own."""
    users: dict[object, list[int]] = {}
    for r, e in enumerate(examples):
        users.setdefault(e.user_id if e.user_id is not None else ("row", r), []).append(r)
    picked = []
    for rows in users.values():
        rows.sort(key=lambda r: (examples[r].timestamp or 0, r))
        picked += rows[int(rng.integers(min(stride, len(rows)))) :: stride]
    return rng.permutation(np.array(picked, dtype=np.int64))


def _ndcg_at_10(model: SASRec, examples: list[Example], exclude_history: bool) -> float:
    rows = [e for e in examples if e.target is not None]
    topk = recommend_sasrec(model, rows, 10, exclude_history)
    return ndcg(hit_positions(topk, np.array([e.target for e in rows])), 10)


def stopping_rows(ds: Dataset, s: SASRecSettings) -> tuple[list[Example], list[Example], str]:
    """(training rows, rows that pick the best epoch, what those are): with early_stopping holdout, the latest
    holdout_share of the training rows (the split is by time, so no later training row holds their targets)."""
    rows = [e for e in ds.splits["train"] if e.target is not None]
    if s.early_stopping == "valid":
        return rows, ds.splits["valid"], f"the {len(ds.splits['valid'])} validation rows"
    n = max(1, int(len(rows) * s.holdout_share))
    return rows[:-n], rows[-n:], f"the latest {n} training rows, held out of training"


def train_sasrec(ds: Dataset, s: SASRecSettings, out: Path, valid_excluding: bool = False) -> SASRec:
    """Train (or load the finished) SASRec model of this run; the weights and a summary go to `out`. The epoch
    with the best NDCG@10 on the stopping rows (stopping_rows; history excluded from the lists when
    `valid_excluding`, as the run's first evaluation mode) is kept; training stops after `patience` epochs
    without a better one (never before `min_epochs`), after `epochs`, or when the optional wall-clock budget
    `max_seconds` is spent (the summary's `stopped_by` says which)."""
    out = Path(out)
    max_len = max(len(e.history) for e in ds.splits["train"]) + 1
    torch.manual_seed(s.seed)
    model = SASRec(len(ds.catalog), max_len, s)
    if (out / "sasrec_done.json").exists():
        model.load_state_dict(torch.load(out / "model.pt"))
        return model.eval()
    rows, stop_rows, stop_on = stopping_rows(ds, s)
    train = sequences(rows, max_len)
    opt = torch.optim.Adam(model.parameters(), lr=s.learning_rate)
    rng = np.random.default_rng(s.seed)
    start, best, best_epoch, history, stopped = time.time(), -1.0, 0, [], "epochs"
    bar = tqdm(range(1, s.epochs + 1), desc="sasrec", unit="epoch")
    for epoch in bar:
        model.train()
        losses = []
        for idx in torch.from_numpy(epoch_windows(rows, s.window_stride, rng)).split(s.batch_size):
            loss = next_item_loss(model, train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        score = _ndcg_at_10(model, stop_rows, valid_excluding)
        history.append({"epoch": epoch, "train_loss": float(np.mean(losses)), "valid_ndcg@10": score})
        bar.set_postfix(loss=f"{np.mean(losses):.3f}", valid_ndcg=f"{score:.4f}", best=f"{max(best, score):.4f}")
        if score > best:
            best, best_epoch, state = score, epoch, {k: v.clone() for k, v in model.state_dict().items()}
        elif epoch - best_epoch >= s.patience and epoch >= s.min_epochs:
            stopped = "patience"
            break
        if s.max_seconds is not None and time.time() - start > s.max_seconds:
            stopped = "time budget"
            break
    model.load_state_dict(state)
    out.mkdir(parents=True, exist_ok=True)
    torch.save(state, out / "model.pt.tmp")
    (out / "model.pt.tmp").replace(out / "model.pt")
    write_json(out / "sasrec_done.json", {"best_epoch": best_epoch, "valid_ndcg@10": best, "epochs_run": epoch,
                                          "stopped_by": stopped, "valid_excluding_history": valid_excluding,
                                          "best_epoch_chosen_on": stop_on,
                                          "seconds": round(time.time() - start, 1), "history": history})  # fmt: skip
    return model.eval()


def sasrec_summary(out: Path) -> dict:
    return read_json(Path(out) / "sasrec_done.json")
