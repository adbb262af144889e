"""The one prompt template, used by every stage (SFT, DPO, generation, scoring): SPREC.md section 4, fault 1.

An example renders to a prompt (the tokenizer's chat template around one user message listing the history
titles, oldest first) and an answer (the quoted target title followed by EOS). Prompt and answer are
tokenized separately, so an item's answer tokens are the same in training, in the decoding trie and in
scoring. Wording comes from the dataset's item noun, never from branches on the domain.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sprec.data.dataset import Catalog, Example


def user_message(titles: Sequence[str], noun: str) -> str:
    history = ", ".join(f'"{t}"' for t in titles)
    return (
        f"A user enjoyed these {noun}s, oldest first: {history}. "
        f"Recommend the next {noun} for them. Answer with its title in double quotes."
    )


class Prompter:
    """Renders examples for one tokenizer and catalog; counts histories truncated to fit the context."""

    def __init__(self, tokenizer, catalog: Catalog, item_noun: str, system_prompt: str | None = None,
                 max_prompt_tokens: int = 512):  # fmt: skip
        self.tokenizer, self.catalog, self.noun = tokenizer, catalog, item_noun
        self.system = system_prompt.format(noun=item_noun) if system_prompt else None
        self.max_prompt_tokens = max_prompt_tokens
        self.eos_id = tokenizer.eos_token_id
        self.stats: Counter = Counter()
        self._answers: list[list[int]] | None = None

    @classmethod
    def for_run(cls, tokenizer, dataset, model_cfg) -> Prompter:
        """The prompter of a dataset (its catalog and item noun) and a ModelConfig (system prompt, context)."""
        return cls(tokenizer, dataset.catalog, dataset.item_noun, model_cfg.system_prompt, model_cfg.max_prompt_tokens)

    def prompt_text(self, history: Sequence[int]) -> str:
        messages = [{"role": "user", "content": user_message([self.catalog.title(i) for i in history], self.noun)}]
        if self.system:
            messages.insert(0, {"role": "system", "content": self.system})
        if getattr(self.tokenizer, "chat_template", None):
            return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return "\n".join(m["content"] for m in messages) + "\n"  # base models without a chat template

    def answer_text(self, item: int) -> str:
        return f'"{self.catalog.title(item)}"'

    def prompt_ids(self, history: Sequence[int]) -> list[int]:
        """Token ids of the prompt; the oldest history items are dropped until it fits (and counted)."""
        ids, kept = self._fitted(history)
        self.stats["history_items_truncated"] += len(history) - kept
        return ids

    def fitted_history(self, history: Sequence[int]) -> list[int]:
        """The history items a prompt holds: the newest that fit in max_prompt_tokens (at least one)."""
        return list(history)[len(history) - self._fitted(history)[1] :]

    def _fitted(self, history: Sequence[int]) -> tuple[list[int], int]:
        history = list(history)
        while True:
            ids = self.tokenizer(self.prompt_text(history), add_special_tokens=False)["input_ids"]
            if len(ids) <= self.max_prompt_tokens or len(history) <= 1:
                return ids, len(history)
            history = history[1:]

    def answer_ids(self, item: int) -> list[int]:
        return self.all_answer_ids()[item]

    def all_answer_ids(self) -> list[list[int]]:
        """Answer token ids of every catalog item (quoted title + EOS), tokenized once."""
        if self._answers is None:
            texts = [self.answer_text(i) for i in range(len(self.catalog))]
            ids = self.tokenizer(texts, add_special_tokens=False)["input_ids"]
            self._answers = [[*row, self.eos_id] for row in ids]
            bad = sum(self.tokenizer.decode(row) != text for row, text in zip(ids, texts, strict=True))
            self.stats["titles_not_round_tripping"] = bad  # harmless for the trie (ids), reported
        return self._answers

    def encode(self, example: Example) -> tuple[list[int], list[int]]:
        """(prompt ids, answer ids) of a training example; its target must be in the catalog."""
        return self.prompt_ids(example.history), self.answer_ids(example.target)
