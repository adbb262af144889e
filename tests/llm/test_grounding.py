import numpy as np

from sprec.ranking.topk import top_k


def test_embedding_grounding_returns_the_exact_item_for_an_exact_title(goodreads_dataset, tmp_path):
    from sprec.llm.grounding import TitleEmbedder, extract_title, title_distances

    titles = [it.title for it in goodreads_dataset.catalog.items]
    embedder = TitleEmbedder()
    items = embedder.catalog(titles, tmp_path)
    assert list(tmp_path.glob("title_embeddings_*.npy"))  # cached per dataset and model
    assert np.array_equal(embedder.catalog(titles, tmp_path), items)
    picks = [0, 17, 1234, 4057]
    queries = [extract_title(f'"{titles[i]}"\n') for i in picks]
    top = top_k(-title_distances(queries, embedder, items), 3)
    assert top[:, 0].tolist() == picks


def test_extract_title():
    from sprec.llm.grounding import extract_title

    assert extract_title('"A Child Called "It" (Dave Pelzer #1)"') == 'A Child Called "It" (Dave Pelzer #1)'
    assert extract_title("Dune\nmore text") == "Dune"
    assert extract_title('"Unfinished title') == "Unfinished title"
