"""Items from what a person types or asks for: titles as typed (case, year, leading article) and a user's latest
history in the prepared data."""

from __future__ import annotations

import difflib
import re

from sprec.data.dataset import Catalog, Dataset
from sprec.errors import DataError


def titles_to_history(titles: list[str], catalog: Catalog) -> list[int]:
    """Item ids of user-given titles. Taken: the exact title, a title differing only in case, or the one title
    the text is a short form of ("fargo" -> "Fargo (1996)", "the godfather" -> "Godfather, The (1972)");
    otherwise an error listing close matches (titles containing the text, then similar spellings)."""
    ids = []
    for t in titles:
        query = t.strip().casefold()
        i = catalog.id_of(t)
        if i is None:
            folded = [it.id for it in catalog.items if it.title.casefold() == query]
            short = [it.id for it in catalog.items if query in _short_forms(it.title.casefold())]
            i = folded[0] if len(folded) == 1 else short[0] if len(short) == 1 else None
        if i is None:
            raise DataError(f"{t!r} is not in the catalog; close matches: {_close_titles(query, catalog)}")
        ids.append(i)
    return ids


def user_history(ds: Dataset, user: str) -> tuple[list[int], int | None]:
    """A user of the prepared data: the items of their latest row (its history, then its target, as many as a
    history holds) and that row's time. Only what the prepared splits keep: valid and test rows are subsamples."""
    rows = [e for split in ds.splits.values() for e in split if e.user_id is not None and str(e.user_id) == user]
    if not rows:
        raise DataError(f"user {user!r} has no row in the prepared data (a user needs enough interactions to pass "
                        "its k-core and history filters; valid and test rows are subsamples)", ds.path)  # fmt: skip
    last = max(rows, key=lambda e: e.timestamp or 0)
    items = [*last.history, *([] if last.target is None else [last.target])]
    return items[-len(last.history) :], last.timestamp


def _short_forms(title: str) -> set[str]:
    """A title as people type it: without its trailing year, and with a trailing article put back in front
    ("godfather, the (1972)" -> "godfather, the", "the godfather")."""
    bare = re.sub(r"\s*\(\d{4}\)$", "", title)
    moved = re.sub(r"^(.*), (the|a|an|les|la|le|il|das|der|die)$", r"\2 \1", bare)
    return {bare, moved} - {title}


def _close_titles(query: str, catalog: Catalog, n: int = 5) -> list[str]:
    titles = [it.title for it in catalog.items]
    containing = sorted((x for x in titles if query and query in x.casefold()), key=len)
    lower = {x.casefold(): x for x in titles}
    similar = [lower[m] for m in difflib.get_close_matches(query, lower, n=n)]
    return list(dict.fromkeys([*containing, *similar]))[:n]
