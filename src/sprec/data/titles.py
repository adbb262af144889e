"""Items from what a person types or asks for: titles as typed (case, year, leading article) and a user's latest
history in the prepared data."""

from __future__ import annotations

import difflib
import re

from sprec.data.dataset import Catalog, Dataset, Example
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
            raise DataError(f"{t!r} is not in the catalog; close matches: {close_titles(query, catalog)}")
        ids.append(i)
    return ids


def latest_histories(ds: Dataset) -> dict[str, tuple[list[int], int | None]]:
    """{user: (their latest history, its time)} over the prepared splits: each user's latest row's history and
    target, as many items as a history holds. Only what the prepared splits keep: valid and test rows are
    subsamples. Ties in time: the later split (train, valid, test) and row win."""
    latest: dict[str, Example] = {}
    for split in ds.splits.values():
        for e in split:
            if e.user_id is not None:
                user = str(e.user_id)
                if user not in latest or (e.timestamp or 0) >= (latest[user].timestamp or 0):
                    latest[user] = e
    out = {}
    for user, e in latest.items():
        items = [*e.history, *([] if e.target is None else [e.target])]
        out[user] = (items[-len(e.history) :], e.timestamp)
    return out


def user_history(ds: Dataset, user: str) -> tuple[list[int], int | None]:
    """A user of the prepared data: their latest history and its time (latest_histories)."""
    found = latest_histories(ds).get(user)
    if found is None:
        raise DataError(f"user {user!r} has no row in the prepared data (a user needs enough interactions to pass "
                        "its k-core and history filters; valid and test rows are subsamples)", ds.path)  # fmt: skip
    return found


def _short_forms(title: str) -> set[str]:
    """A title as people type it: without its trailing year, and with a trailing article put back in front
    ("godfather, the (1972)" -> "godfather, the", "the godfather")."""
    bare = re.sub(r"\s*\(\d{4}\)$", "", title)
    moved = re.sub(r"^(.*), (the|a|an|les|la|le|il|das|der|die)$", r"\2 \1", bare)
    return {bare, moved} - {title}


def close_titles(query: str, catalog: Catalog, n: int = 5) -> list[str]:
    titles = [it.title for it in catalog.items]
    containing = sorted((x for x in titles if query and query in x.casefold()), key=len)
    lower = {x.casefold(): x for x in titles}
    similar = [lower[m] for m in difflib.get_close_matches(query, lower, n=n)]
    return list(dict.fromkeys([*containing, *similar]))[:n]
