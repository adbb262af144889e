"""Trie-constrained decoding on a tiny random model with the real tokenizer: never leaves the catalog,
respects history exclusion, beams give distinct items."""

import pytest

from sprec.config import RecommendSettings
from sprec.decoding import CatalogTrie
from sprec.errors import DataError
from sprec.llm.model import load_model
from sprec.prompts import Prompter
from sprec.recommend import recommend


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
    assert rec.stats["generations_outside_catalog"] == 0
    for row, e, texts in zip(rec.topk, rows, rec.generations, strict=True):
        assert len(row) == 4 and len(set(row)) == 4  # beams: distinct items
        assert not set(row) & set(e.history)
        assert goodreads_dataset.catalog.id_of(texts[0].strip()[1:-1]) == row[0]  # text is the item's quoted title


def test_excluding_everything_is_a_clear_error(tiny, goodreads_dataset):
    from dataclasses import replace

    from sprec.data.dataset import Catalog, Example

    model, tok, prompter = tiny
    small = Catalog(goodreads_dataset.catalog.items[:3], [])
    p = Prompter(tok, small, "book")
    s = RecommendSettings(grounding="trie", k=1, num_beams=1, exclude_history=True)
    with pytest.raises(DataError, match="every catalog item is excluded"):
        recommend(model, tok, p, [Example((0, 1, 2), None)], s)
    with pytest.raises(DataError, match="K = 4 is larger than the catalog"):
        recommend(model, tok, p, [Example((0,), None)], replace(s, k=4))
