"""Trie-constrained decoding on a tiny random model with the real tokenizer: never leaves the catalog,
respects history exclusion, beams give distinct items."""

import pytest
import torch

from sprec.config import RecommendSettings
from sprec.errors import DataError
from sprec.llm.decoding import CatalogTrie
from sprec.llm.generate import recommend
from sprec.llm.model import load_model
from sprec.llm.prompts import Prompter


def test_trie_walk_and_items():
    trie = CatalogTrie([[5, 6, 9], [5, 7, 9], [8, 9]])
    assert trie.item_of([5, 7, 9, 0, 0], eos_id=9) == 1
    assert trie.item_of([5, 6], eos_id=9) is None  # unfinished
    assert trie.count[trie.walk([5])] == 2
    assert trie.excluded_counts([0, 1])[trie.walk([5])] == 2
    with pytest.raises(DataError, match="prefixes of each other"):
        CatalogTrie([[1, 2], [1, 2]])
    with pytest.raises(DataError, match="empty catalog"):
        CatalogTrie([])


@pytest.fixture(scope="module")
def tiny(tiny_cfg, goodreads_dataset):
    model, tok = load_model(tiny_cfg)
    return model, tok, Prompter(tok, goodreads_dataset.catalog, goodreads_dataset.item_noun)


@pytest.mark.parametrize("beams", [1, 4])
def test_constrained_generations_are_catalog_items(tiny, goodreads_dataset, beams):
    model, tok, prompter = tiny
    rows = goodreads_dataset.splits["test"][:6]
    s = RecommendSettings(grounding="trie", k=4, num_beams=beams, exclude_history=True, batch_size=8)
    rec = recommend(model, tok, prompter, rows, s, cache_dir=goodreads_dataset.path)
    for row, e, texts in zip(rec.topk, rows, rec.generations, strict=True):
        assert len(row) == 4 and len(set(row)) == 4  # beams: distinct items
        assert not set(row) & set(e.history)
        assert texts[0].startswith(prompter.answer_text(row[0]))  # the generated answer is the item's title


def test_beam_search_scores_are_the_items_log_probs_and_greedy_matches_generate(tiny, goodreads_dataset):
    from sprec.llm.decoding import trie_beam_search
    from sprec.llm.generate import generate
    from sprec.llm.logprobs import sequence_logps

    model, tok, prompter = tiny
    rows = goodreads_dataset.splits["test"][:3]
    prompts = [prompter.prompt_ids(e.history) for e in rows]
    trie = CatalogTrie(prompter.all_answer_ids())
    found = trie_beam_search(model, prompts, trie, 5, tok.pad_token_id)
    for p, row in zip(prompts, found, strict=True):
        scores = [s for _, s in row]
        assert scores == sorted(scores, reverse=True) and len({i for i, _ in row}) == 5
        for item, score in row[:2]:  # teacher-forced log-prob of the whole answer
            a = prompter.answer_ids(item)
            ids = torch.tensor([p + a])
            labels = torch.tensor([[-100] * len(p) + a])
            with torch.no_grad():
                assert abs(sequence_logps(model, ids, torch.ones_like(ids), labels).item() - score) < 1e-3
    greedy = trie_beam_search(model, prompts, trie, 1, tok.pad_token_id)
    hf = generate(model, tok, prompts, batch_size=3, max_new_tokens=trie.depth, trie=trie)
    assert [g[0][0] for g in greedy] == [trie.item_of(h[0], tok.eos_token_id) for h in hf]


def test_excluding_everything_is_a_clear_error(tiny, goodreads_dataset):
    from dataclasses import replace

    from sprec.data.dataset import Catalog, Example

    model, tok, prompter = tiny
    small = Catalog(goodreads_dataset.catalog.items[:3], [])
    p = Prompter(tok, small, "book")
    s = RecommendSettings(grounding="trie", k=1, num_beams=1, exclude_history=True)
    with pytest.raises(DataError, match="row 1: only 0 items left for a top-1 list"):
        recommend(model, tok, p, [Example((0, 1, 2), None)], s)
    with pytest.raises(DataError, match="K = 4 is larger than the catalog"):
        recommend(model, tok, p, [Example((0,), None)], replace(s, k=4))


def test_d3_assistant_bonus_hand_worked_telescopes_to_the_items_log_probability():
    import numpy as np

    from sprec.llm.decoding import assistant_bonus

    # answers: item 0 = 1 2 9, item 1 = 1 3 9, item 2 = 4 9 (9 = EOS); assistant probabilities 0.5, 0.3, 0.2
    trie = CatalogTrie([[1, 2, 9], [1, 3, 9], [4, 9]])
    probs = np.array([0.5, 0.3, 0.2])
    assert assistant_bonus(trie, 0, probs) == pytest.approx(np.log([0.8, 0.2]))  # root: tokens 1 and 4
    after_1 = trie.walk([1])
    assert assistant_bonus(trie, after_1, probs) == pytest.approx(np.log([0.5 / 0.8, 0.3 / 0.8]))  # tokens 2, 3
    assert assistant_bonus(trie, trie.walk([1, 2]), probs) == pytest.approx([0.0])  # only EOS left
    # along item 0's answer: log 0.8 + log(0.5 / 0.8) + 0 = log 0.5


def test_d3_search_adds_the_weighted_assistant_and_weight_zero_is_the_plain_search(tiny, goodreads_dataset):
    import numpy as np

    from sprec.llm.decoding import trie_beam_search

    model, tok, prompter = tiny
    rows = goodreads_dataset.splits["test"][:2]
    prompts = [prompter.prompt_ids(e.history) for e in rows]
    trie = CatalogTrie(prompter.all_answer_ids())
    n = len(goodreads_dataset.catalog)
    helper = np.full((2, n), 0.1 / (n - 2))
    helper[:, [42, 7]] = [0.6, 0.3]  # the assistant is sure of item 42, then 7
    plain = trie_beam_search(model, prompts, trie, 3, tok.pad_token_id)
    assert trie_beam_search(model, prompts, trie, 3, tok.pad_token_id, None, helper, 0.0) == plain
    guided = trie_beam_search(model, prompts, trie, 3, tok.pad_token_id, None, helper, 30.0)
    from sprec.llm.logprobs import sequence_logps

    for p, row in zip(prompts, guided, strict=True):
        assert [i for i, _ in row[:2]] == [42, 7]
        # the score is the model's log-prob of the whole answer plus 30 x log p_assistant(item)
        a = prompter.answer_ids(42)
        ids, labels = torch.tensor([p + a]), torch.tensor([[-100] * len(p) + a])
        with torch.no_grad():
            own = sequence_logps(model, ids, torch.ones_like(ids), labels).item()
        assert row[0][1] == pytest.approx(own + 30 * np.log(0.6), abs=1e-3)
