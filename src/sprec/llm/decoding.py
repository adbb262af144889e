"""Constrained decoding: a prefix trie over the answer token ids of every catalog item (quotes and EOS
included), applied as a logits processor, so that every generation is a real catalog item (SPREC.md
section 6). Per-row history exclusion masks the branches whose every item is in that row's history."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from transformers import LogitsProcessor

from sprec.errors import DataError
from sprec.llm.padding import pad_left


class CatalogTrie:
    """Nodes are ints (0 = root); `children[node]` maps a token to the next node; `item_at[node]` is the
    item whose answer ends there (after its EOS); `count[node]` is the number of items below the node."""

    def __init__(self, answers: Sequence[Sequence[int]]):
        if not answers:
            raise DataError("cannot build a decoding trie over an empty catalog")
        self.children: list[dict[int, int]] = [{}]
        self.count = [0]
        self.item_at: dict[int, int] = {}
        self.paths: list[list[int]] = []  # the nodes along each item's answer, root excluded
        for item, ids in enumerate(answers):
            node, path = 0, []
            self.count[0] += 1
            for t in ids:
                nxt = self.children[node].get(t)
                if nxt is None:
                    nxt = len(self.children)
                    self.children[node][t] = nxt
                    self.children.append({})
                    self.count.append(0)
                node = nxt
                self.count[node] += 1
                path.append(node)
            if node in self.item_at or self.children[node]:
                raise DataError(f"items {self.item_at.get(node)} and {item} have answers that are prefixes of "
                                "each other; titles must be unique")  # fmt: skip
            self.item_at[node] = item
            self.paths.append(path)
        self.depth = max(len(p) for p in self.paths)
        self._arrays: dict[int, tuple[torch.Tensor, list[int]]] = {}
        self._items_below: dict[int, list[int]] = {}
        self._below: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def child_arrays(self, node: int) -> tuple[torch.Tensor, list[int]]:
        """(child tokens as a tensor, child nodes) of a node, built once per node."""
        cached = self._arrays.get(node)
        if cached is None:
            tokens = list(self.children[node])
            cached = self._arrays[node] = (torch.tensor(tokens), [self.children[node][t] for t in tokens])
        return cached

    def below(self, node: int) -> tuple[np.ndarray, np.ndarray]:
        """(item ids below each child of `node`, concatenated in child_arrays order; each child's start offset),
        built once per node: the assistant's mass of every child is one gather and one reduceat."""
        cached = self._below.get(node)
        if cached is None:
            if not self._items_below:
                for item, path in enumerate(self.paths):
                    for n in path:
                        self._items_below.setdefault(n, []).append(item)
            _, kids = self.child_arrays(node)
            parts = [self._items_below[c] for c in kids]
            offsets = np.cumsum([0, *map(len, parts[:-1])])
            cached = self._below[node] = (np.concatenate(parts).astype(np.int64), offsets)
        return cached

    def walk(self, ids: Sequence[int]) -> int | None:
        """The node reached by `ids` from the root, or None if they leave the trie."""
        node = 0
        for t in ids:
            node = self.children[node].get(int(t))
            if node is None:
                return None
        return node

    def item_of(self, ids: Sequence[int], eos_id: int) -> int | None:
        """The item whose full answer `ids` spells (trailing padding after EOS ignored)."""
        ids = list(ids)
        if eos_id in ids:
            ids = ids[: ids.index(eos_id) + 1]
        node = self.walk(ids)
        return None if node is None else self.item_at.get(node)

    def excluded_counts(self, items: Sequence[int]) -> dict[int, int]:
        """For a row's excluded items: node -> how many of the items below it are excluded."""
        out: dict[int, int] = {0: 0}
        for item in set(items):
            out[0] += 1
            for node in self.paths[item]:
                out[node] = out.get(node, 0) + 1
        return out


class TrieLogitsProcessor(LogitsProcessor):
    """Masks every token that leaves the trie (or leads only to excluded items) for each generated row."""

    def __init__(self, trie: CatalogTrie, prompt_len: int, excluded: list[Sequence[int]] | None, eos_id: int,
                 rows_per_prompt: int = 1):  # fmt: skip
        self.trie, self.prompt_len, self.eos_id, self.per = trie, prompt_len, eos_id, rows_per_prompt
        self.excluded = [trie.excluded_counts(x) for x in excluded] if excluded else None

    def allowed(self, generated: Sequence[int], prompt_index: int) -> list[int]:
        node = self.trie.walk(generated)
        if node is None or node in self.trie.item_at:  # finished (padding after EOS) or off the trie
            return [self.eos_id]
        ex = self.excluded[prompt_index] if self.excluded else {}
        return [t for t, c in self.trie.children[node].items() if self.trie.count[c] > ex.get(c, 0)]

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        mask = torch.full_like(scores, float("-inf"))
        generated = input_ids[:, self.prompt_len :].tolist()
        for row, ids in enumerate(generated):
            allowed = self.allowed(ids, row // self.per)
            if not allowed:
                raise DataError("every catalog item is excluded for a row; lower K or disable history exclusion")
            mask[row, allowed] = 0.0
        return scores + mask


def assistant_bonus(trie: CatalogTrie, node: int, assistant_probs: np.ndarray) -> np.ndarray:
    """D3's text-free assistant at one decoding step: log p_assistant(next token | prefix) for each child of
    `node`, i.e. the log of the assistant's probability mass of the items below each child minus that below
    the node (`assistant_probs`: the row's item probabilities). Along an item's whole answer these telescope to
    log p_assistant(item)."""
    items, offsets = trie.below(node)
    mass = np.add.reduceat(assistant_probs[items], offsets)
    with np.errstate(divide="ignore"):
        return np.log(mass) - np.log(mass.sum())


@torch.no_grad()
def trie_beam_search(model, prompts: list[list[int]], trie: CatalogTrie, beams: int, pad_id: int,
                     excluded: list[Sequence[int]] | None = None, assistant: np.ndarray | None = None,
                     assistant_weight: float = 0.0) -> list[list[tuple[int, float]]]:  # fmt: skip
    """Beam search over the catalog trie: up to `beams` items per prompt as (item, log pi(answer | prompt)),
    best first. A beam that completes an answer leaves the beam as a finished item; a prompt stops when it
    has `beams` of them. With beams = 1 this is greedy constrained decoding.

    Unlike generate(num_beams=K), the prompt runs through the model once and its key/value cache is then
    shared by the beams (the prefill dominates the cost; CPU_NOTES.md). Scores are plain sums of token
    log-probs (no length penalty): items rank by the probability of their whole answer. With `assistant`
    ((prompts, items) probabilities of a text-free model, D3 2024), each step adds assistant_weight times
    assistant_bonus: items rank by log pi(answer | prompt) + weight * log p_assistant(item).
    """
    model.eval()
    ids, mask = pad_left(prompts, pad_id)
    pos = (mask.cumsum(1) - 1).clamp(min=0)
    out = model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True, logits_to_keep=1)
    cache, logps = out.past_key_values, out.logits[:, -1].float().log_softmax(-1)
    lengths = mask.sum(1)
    ex = [trie.excluded_counts(x) for x in excluded] if excluded else [{} for _ in prompts]
    done: list[list[tuple[int, float]]] = [[] for _ in prompts]
    rows = [(p, 0, 0.0) for p in range(len(prompts))]  # (prompt, trie node, score) per cache row
    step = 0
    while rows:
        candidates: dict[int, list[tuple[float, int, int, int]]] = {}  # prompt -> (score, row, token, node)
        for r, (p, node, score) in enumerate(rows):
            tokens_t, kids = trie.child_arrays(node)
            lp = logps[r, tokens_t]
            if assistant is not None and assistant_weight:
                lp = lp + assistant_weight * torch.from_numpy(assistant_bonus(trie, node, assistant[p])).float()
            if ex[p]:  # mask the branches whose every item is excluded for this prompt
                blocked = [j for j, c in enumerate(kids) if trie.count[c] <= ex[p].get(c, 0)]
                lp[blocked] = float("-inf")
            top = lp.topk(min(beams, len(kids)))  # no beam needs more than `beams` children of one node
            for v, j in zip(top.values.tolist(), top.indices.tolist(), strict=True):
                if v > float("-inf"):
                    candidates.setdefault(p, []).append((score + v, r, int(tokens_t[j]), kids[j]))
        keep, new_rows, tokens = [], [], []
        for p, cands in candidates.items():
            for score, r, t, c in sorted(cands, key=lambda x: -x[0])[: beams - len(done[p])]:
                if c in trie.item_at:
                    done[p].append((trie.item_at[c], score))
                    continue
                keep.append(r)
                new_rows.append((p, c, score))
                tokens.append(t)
        # a prompt is finished when it has `beams` items and no kept beam can beat the worst of them
        finished = {p for p in range(len(prompts)) if len(done[p]) >= beams}
        alive = [j for j, (p, _, _) in enumerate(new_rows) if p not in finished]
        if not alive:
            break
        keep, new_rows, tokens = [keep[j] for j in alive], [new_rows[j] for j in alive], [tokens[j] for j in alive]
        src = torch.tensor(keep)
        cache.batch_select_indices(src)
        prompt_of = torch.tensor([p for p, _, _ in new_rows])
        step += 1
        full_mask = torch.cat([mask[prompt_of], torch.ones(len(new_rows), step, dtype=mask.dtype)], 1)
        out = model(input_ids=torch.tensor(tokens)[:, None], attention_mask=full_mask,
                    position_ids=(lengths[prompt_of] + step - 1)[:, None], past_key_values=cache, use_cache=True,
                    logits_to_keep=1)  # fmt: skip
        cache, logps, rows = out.past_key_values, out.logits[:, -1].float().log_softmax(-1), new_rows
    return [sorted(d, key=lambda x: -x[1])[:beams] for d in done]
