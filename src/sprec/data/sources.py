"""What every reader returns: a raw interaction log (to be k-cored, windowed and split by `prepare`)
or an already-split dataset (kept as its source split it)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from sprec.data.dataset import Catalog, Example
from sprec.errors import DataError

# SPRec's MovieLens genre groups (shared/data/movielens/raw/sprec_ml10m_eval/genre_dict.json).
MOVIELENS_GENRE_GROUPS = ["Action", "Adventure", "Sci-Fi", "Thriller", "Drama", "Comedy", "Fantasy", "Crime", "Romance"]


@dataclass(frozen=True)
class RawItem:
    source_id: str
    title: str
    genres: tuple[str, ...] = ()


@dataclass
class RawLog:
    """Interactions as parallel lists (user id, item source id, unix time, rating or None)."""

    source: str
    items: list[RawItem]
    users: list[str] = field(default_factory=list)
    item_ids: list[str] = field(default_factory=list)
    timestamps: list[int] = field(default_factory=list)
    ratings: list[float | None] = field(default_factory=list)
    item_noun: str = "item"
    genre_groups: list[str] | None = None  # None: every genre label that items carry
    notes: dict = field(default_factory=dict)

    def add(self, user: str, item: str, timestamp: int, rating: float | None = None) -> None:
        self.users.append(user)
        self.item_ids.append(item)
        self.timestamps.append(timestamp)
        self.ratings.append(rating)


@dataclass
class SplitData:
    """A source that is already split (SPRec prompt JSON, D3 CSV): the splits are kept as they are."""

    source: str
    catalog: Catalog  # popularity still zero; `prepare` counts it from train
    splits: dict[str, list[Example]]
    item_noun: str = "item"
    drops: Counter = field(default_factory=Counter)
    notes: dict = field(default_factory=dict)


def check_genre_table(obj, path) -> dict[str, list[str]]:
    """A name2genre.json table: a JSON object mapping each title to a list of genre strings (a string value
    would otherwise be read letter by letter as genres)."""
    if not isinstance(obj, dict):
        raise DataError(f"expected a JSON object {{title: [genre, ...]}}, got a JSON {type(obj).__name__}", path)
    for title, genres in obj.items():
        if not isinstance(genres, list) or not all(isinstance(g, str) for g in genres):
            raise DataError(f"genres of {title!r} must be a list of strings, got {genres!r}", path)
    return obj


COMMON_LABEL_SHARE = 0.9  # a genre label on this share of the items (or more) says nothing about a list


def derive_genre_groups(genre_lists) -> tuple[list[str], list[str]]:
    """(groups for MGU/DGU, labels left out) when a source names no groups: every genre label except those
    carried by 90% or more of the items that have a genre (a label every item has, such as the store's
    category, would dominate both distributions)."""
    tagged = [set(g) for g in genre_lists if g]
    counts = Counter(label for labels in tagged for label in labels)
    common = sorted(label for label, n in counts.items() if n >= COMMON_LABEL_SHARE * len(tagged))
    return sorted(set(counts) - set(common)), common


MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>|&(?:[a-z]+|#\d+);")  # an HTML tag or entity


def title_problem(title: str) -> str | None:
    """Why a title cannot stand for an item (None: it can): empty, or a fragment of web markup (scraped data
    sometimes holds `<span class=...>` where the title should be; every such id would merge into one item)."""
    if not title.strip():
        return "empty_title"
    return "title_looks_like_markup" if MARKUP.search(title) else None


def disambiguated(title: str, source_id: str) -> str:
    """A title kept apart from the other items of the same title (prepare.merge_titles: false)."""
    return f"{title} [{source_id}]"
