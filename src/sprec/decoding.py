"""Constrained decoding: a prefix trie over the answer token ids of every catalog item (quotes and EOS
included), applied as a logits processor, so that every generation is a real catalog item (SPREC.md
section 6). Per-row history exclusion masks the branches whose every item is in that row's history."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from transformers import LogitsProcessor

from sprec.errors import DataError


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
