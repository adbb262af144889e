"""SASRec (Kang & McAuley, ICDM 2018), the classical sequential baseline of SPREC.md section 5, on the same
prepared splits as the LLM: a causal self-attention encoder over item ids whose state after each item scores
every catalog item (dot product with the shared item embeddings, plus a learnt item bias). Trained with a
full softmax over the catalog at every position of history + target (cross-entropy SASRec: with a catalog of
a few thousand items the full softmax is cheap, and it trains better than sampled negatives). The epoch with
the best validation NDCG@10 is kept.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from sprec.config import SASRecSettings
from sprec.data.dataset import Dataset, Example
from sprec.io import read_json, write_json
from sprec.metrics import hit_positions, ndcg

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

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """(B, L) right-aligned tokens -> (B, L, n_items) scores of the next item after each position."""
        length = tokens.shape[1]
        x = self.items(tokens) * self.items.embedding_dim**0.5 + self.positions.weight[-length:]
        causal = nn.Transformer.generate_square_subsequent_mask(length)
        h = self.norm(self.encoder(self.dropout(x), mask=causal, is_causal=True))
        return h @ self.items.weight[1:].T + self.bias


def sequences(examples: list[Example], max_len: int) -> torch.Tensor:
    """History + target (when known) of each row as tokens, right-aligned and left-padded to max_len."""
    out = torch.full((len(examples), max_len), PAD, dtype=torch.long)
    for r, e in enumerate(examples):
        seq = [*e.history, *([] if e.target is None else [e.target])][-max_len:]
        if seq:
            out[r, -len(seq) :] = torch.tensor(seq) + 1
    return out


@torch.no_grad()
def recommend_sasrec(model: SASRec, examples: list[Example], k: int, exclude_history: bool,
                     batch_size: int = 256) -> np.ndarray:  # fmt: skip
    """(N, k) item ids by score after the last history item, best first (ties: smaller id)."""
    model.eval()
    max_len = model.positions.num_embeddings
    out = []
    for start in range(0, len(examples), batch_size):
        rows = [Example(e.history, None) for e in examples[start : start + batch_size]]
        scores = model(sequences(rows, max_len))[:, -1].double()
        if exclude_history:
            for r, e in enumerate(rows):
                scores[r, list(e.history)] = -np.inf
        order = np.lexsort((np.arange(scores.shape[1])[None].repeat(len(rows), 0), -scores.numpy()), axis=1)
        out.append(order[:, :k])
    return np.concatenate(out)


def _ndcg_at_10(model: SASRec, examples: list[Example]) -> float:
    rows = [e for e in examples if e.target is not None]
    topk = recommend_sasrec(model, rows, 10, exclude_history=False)
    return ndcg(hit_positions(topk, np.array([e.target for e in rows])), 10)


def train_sasrec(ds: Dataset, s: SASRecSettings, out: Path) -> SASRec:
    """Train (or load the finished) SASRec model of this run; the weights and a summary go to `out`."""
    out = Path(out)
    max_len = max(len(e.history) for e in ds.splits["train"]) + 1
    torch.manual_seed(s.seed)
    model = SASRec(len(ds.catalog), max_len, s)
    if (out / "sasrec_done.json").exists():
        model.load_state_dict(torch.load(out / "model.pt"))
        return model.eval()
    train = sequences([e for e in ds.splits["train"] if e.target is not None], max_len)
    inputs, targets = train[:, :-1], train[:, 1:] - 1  # the next item after each item of the sequence
    targets[inputs == PAD] = -1  # nothing is predicted from padding
    opt = torch.optim.Adam(model.parameters(), lr=s.learning_rate)
    gen = torch.Generator().manual_seed(s.seed)
    start, best, best_epoch, history = time.time(), -1.0, 0, []
    for epoch in tqdm(range(1, s.epochs + 1), desc="sasrec", unit="epoch"):
        model.train()
        for idx in torch.randperm(len(train), generator=gen).split(s.batch_size):
            logits = model(inputs[idx])
            loss = nn.functional.cross_entropy(logits.flatten(0, 1), targets[idx].flatten(), ignore_index=-1)
            opt.zero_grad()
            loss.backward()
            opt.step()
        score = _ndcg_at_10(model, ds.splits["valid"])
        history.append({"epoch": epoch, "train_loss": loss.item(), "valid_ndcg@10": score})
        if score > best:
            best, best_epoch, state = score, epoch, {k: v.clone() for k, v in model.state_dict().items()}
        elif epoch - best_epoch >= s.patience:
            break
    model.load_state_dict(state)
    out.mkdir(parents=True, exist_ok=True)
    torch.save(state, out / "model.pt.tmp")
    (out / "model.pt.tmp").replace(out / "model.pt")
    write_json(out / "sasrec_done.json", {"best_epoch": best_epoch, "valid_ndcg@10": best, "epochs_run": epoch,
                                          "seconds": round(time.time() - start, 1), "history": history})  # fmt: skip
    return model.eval()


def sasrec_summary(out: Path) -> dict:
    return read_json(Path(out) / "sasrec_done.json")
