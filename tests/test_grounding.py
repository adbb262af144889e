import numpy as np

from sprec.llm.grounding import nearest_items


def test_nearest_items_equals_a_stable_argsort_even_with_ties():
    rng = np.random.default_rng(0)
    for trial in range(6):
        d = rng.normal(size=(50, 300 + trial))
        if trial % 2:
            d = np.round(d, 1)  # many ties
        assert (nearest_items(d, 7) == np.argsort(d, axis=1, kind="stable")[:, :7]).all()


def test_nearest_items_excludes_history():
    d = np.array([[0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1]])
    assert nearest_items(d, 2, exclude=[[0], [3, 2]]).tolist() == [[1, 2], [1, 0]]
    assert d[0, 0] == 0.1  # the caller's array is not modified


def test_embedding_grounding_returns_the_exact_item_for_an_exact_title(goodreads_dataset, tmp_path):
    from sprec.llm.grounding import TitleEmbedder, extract_title, l2_distances

    titles = [it.title for it in goodreads_dataset.catalog.items]
    embedder = TitleEmbedder()
    items = embedder.catalog(titles, tmp_path)
    assert list(tmp_path.glob("title_embeddings_*.npy"))  # cached per dataset and model
    assert np.array_equal(embedder.catalog(titles, tmp_path), items)
    picks = [0, 17, 1234, 4057]
    queries = [extract_title(f'"{titles[i]}"\n') for i in picks]
    top = nearest_items(l2_distances(embedder.encode(queries), items), 3)
    assert top[:, 0].tolist() == picks


def test_extract_title():
    from sprec.llm.grounding import extract_title

    assert extract_title('"A Child Called "It" (Dave Pelzer #1)"') == 'A Child Called "It" (Dave Pelzer #1)'
    assert extract_title("Dune\nmore text") == "Dune"
    assert extract_title('"Unfinished title') == "Unfinished title"
