"""Reader for RecBole atomic files (`<name>.inter`, `<name>.item`): tab-separated, typed headers
such as `item_id:token`, `movie_title:token_seq`, `class:token_seq`.

`bundled_recbole_dataset("ml-100k")` finds the copy of ml-100k inside the installed `recbole` wheel
without importing recbole (its import pulls torch and more; `pip install --no-deps recbole` is enough).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sprec.data.parsing import fields, number, timestamp
from sprec.data.sources import MOVIELENS_GENRE_GROUPS, RawItem, RawLog
from sprec.errors import DataError
from sprec.io import read_text

TITLE_FIELDS = ("movie_title", "title", "item_name", "name")
GENRE_FIELDS = ("class", "genre", "genres", "categories", "category")


def bundled_recbole_dataset(name: str = "ml-100k") -> Path:
    spec = importlib.util.find_spec("recbole")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("the `recbole` package is not installed; run `pip install --no-deps recbole`")
    path = Path(next(iter(spec.submodule_search_locations))) / "dataset_example" / name
    if not (path / f"{name}.inter").exists():
        raise DataError(f"recbole has no bundled dataset {name!r}", path)
    return path


def _header(line: str, path: Path) -> dict[str, tuple[int, str]]:
    cols = {}
    for j, col in enumerate(line.rstrip("\n").split("\t")):
        name, _, typ = col.partition(":")
        if typ not in ("token", "token_seq", "float", "float_seq"):
            raise DataError(f"column {col!r} needs a type (name:token, :token_seq, :float or :float_seq)", path, 1)
        cols[name] = (j, typ)
    return cols


def _table(path: Path):
    lines = read_text(path).splitlines()
    if not lines:
        raise DataError("empty file (expected a typed header line)", path)
    cols = _header(lines[0], path)
    for row, line in enumerate(lines[1:], 2):
        if line.strip():
            yield row, cols, fields(line, "\t", len(cols), path, row, exact=True)


def split_genres(tokens: list[str], vocab: list[str] | None) -> tuple[str, ...]:
    """token_seq splits multi-word genres ("Film Noir" -> "Film", "Noir"): with a vocabulary, re-join by
    longest match; without one, each token is a genre."""
    if not vocab:
        return tuple(tokens)
    known = {tuple(g.split()) for g in vocab}
    longest = max(len(k) for k in known)
    out, i = [], 0
    while i < len(tokens):
        for n in range(min(longest, len(tokens) - i), 0, -1):
            if tuple(tokens[i : i + n]) in known:
                out.append(" ".join(tokens[i : i + n]))
                i += n
                break
        else:
            out.append(tokens[i])
            i += 1
    return tuple(out)


def read_recbole(path: str | Path, genre_vocab: list[str] | None = None) -> RawLog:
    path = Path(path)
    inter = sorted(path.glob("*.inter"))
    if len(inter) != 1:
        raise DataError(f"expected exactly one .inter file, found {[p.name for p in inter]}", path)
    item_file = inter[0].with_suffix(".item")
    movies = "ml-" in path.name or "movielens" in path.name.lower()
    log = RawLog(f"recbole:{path.name}", [], item_noun="movie" if movies else "item",
                 genre_groups=MOVIELENS_GENRE_GROUPS if movies else None)  # fmt: skip
    for _, cols, f in _table(item_file):
        title_col = next((c for c in TITLE_FIELDS if c in cols), None)
        if "item_id" not in cols or title_col is None:
            problem = f"needs item_id and a title column (one of {TITLE_FIELDS}); found {list(cols)}"
            raise DataError(problem, item_file, 1)
        title = f[cols[title_col][0]].strip()
        if "release_year" in cols and f[cols["release_year"][0]].strip():
            title = f"{title} ({f[cols['release_year'][0]].strip()})"  # MovieLens titles carry the year
        genre_col = next((c for c in GENRE_FIELDS if c in cols), None)
        tokens = f[cols[genre_col][0]].split() if genre_col else []
        log.items.append(RawItem(f[cols["item_id"][0]], title, split_genres(tokens, genre_vocab)))
    if not log.items:
        raise DataError("no items: the item file has no rows, so no interaction could be kept", item_file)
    for row, cols, f in _table(inter[0]):
        missing = [c for c in ("user_id", "item_id", "timestamp") if c not in cols]
        if missing:
            raise DataError(f"missing column(s) {missing}; found {list(cols)}", inter[0], 1)
        rating = number(f[cols["rating"][0]], inter[0], row, "rating") if "rating" in cols else None
        ts = timestamp(f[cols["timestamp"][0]], inter[0], row)
        log.add(f[cols["user_id"][0]], f[cols["item_id"][0]], ts, rating)
    return log
