"""Readers for GroupLens MovieLens raw files: ml-100k, ml-1m / ml-10m (`.dat`), ml-latest(-small) (`.csv`)."""

from __future__ import annotations

from pathlib import Path

from sprec.data.parsing import csv_rows, fields, number, pipe_genres, timestamp
from sprec.data.sources import MOVIELENS_GENRE_GROUPS, RawItem, RawLog
from sprec.errors import DataError
from sprec.io import read_text

ML100K_GENRES = [
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
]  # fmt: skip


def read_movielens(path: str | Path) -> RawLog:
    """Detect the MovieLens variant from the files in `path` and read it."""
    path = Path(path)
    if path.is_file():
        raise DataError(f"give the folder that holds {path.name}, not the file itself", path)
    if not path.is_dir():
        raise DataError("folder not found", path)
    if (path / "u.data").exists():
        return read_ml100k(path)
    if (path / "ratings.dat").exists():
        return read_ml_dat(path)
    if (path / "ratings.csv").exists():
        return read_ml_csv(path)
    raise DataError("no MovieLens ratings file here (expected u.data, ratings.dat or ratings.csv)", path)






def read_ml100k(path: Path) -> RawLog:
    item_file = path / "u.item"
    genres = ML100K_GENRES
    if (path / "u.genre").exists():
        names = [ln.split("|")[0] for ln in read_text(path / "u.genre", "latin-1").splitlines() if ln.strip()]
        genres = names or genres
    items = []
    log = RawLog("movielens-100k", items, item_noun="movie", genre_groups=MOVIELENS_GENRE_GROUPS)
    # GroupLens ships u.item in latin-1; a re-encoded UTF-8 copy read as latin-1 would give mojibake titles
    for row, line in enumerate(_read_maybe_latin1(item_file, log).splitlines(), 1):
        if not line.strip():
            continue
        f = fields(line, "|", 5 + len(genres), item_file, row)
        flags = f[5 : 5 + len(genres)]
        if any(x not in ("0", "1") for x in flags):
            raise DataError(f"genre flags must be 0/1, found {flags}", item_file, row)
        items.append(RawItem(f[0], f[1].strip(), tuple(g for g, x in zip(genres, flags, strict=True) if x == "1")))
    return _read_ratings(log, path / "u.data", "\t")


def _read_ratings(log: RawLog, path: Path, sep: str) -> RawLog:
    """`user sep item sep rating sep timestamp` lines (u.data, ratings.dat)."""
    for row, line in enumerate(read_text(path).splitlines(), 1):
        if line.strip():
            u, i, r, t = fields(line, sep, 4, path, row)[:4]
            log.add(u, i, timestamp(t, path, row), number(r, path, row, "rating"))
    return log


def _read_maybe_latin1(path: Path, log: RawLog) -> str:
    """UTF-8, else ISO-8859-1 (ml-100k and ml-1m ship latin-1, ml-10m UTF-8; GroupLens READMEs); the choice is
    recorded in the notes."""
    try:
        return read_text(path)
    except DataError:
        log.notes[f"encoding of {path.name}"] = "latin-1"
        return read_text(path, "latin-1")


def read_ml_dat(path: Path) -> RawLog:
    log = RawLog("movielens-dat", [], item_noun="movie", genre_groups=MOVIELENS_GENRE_GROUPS)
    movies = path / "movies.dat"
    for row, line in enumerate(_read_maybe_latin1(movies, log).splitlines(), 1):
        if line.strip():
            mid, title, genres = fields(line, "::", 3, movies, row)[:3]
            log.items.append(RawItem(mid, title.strip(), pipe_genres(genres)))
    return _read_ratings(log, path / "ratings.dat", "::")






def read_ml_csv(path: Path) -> RawLog:
    log = RawLog("movielens-latest", [], item_noun="movie", genre_groups=MOVIELENS_GENRE_GROUPS)
    for _, rec in csv_rows(path / "movies.csv", ["movieId", "title", "genres"]):
        log.items.append(RawItem(rec["movieId"], rec["title"].strip(), pipe_genres(rec["genres"])))
    ratings = path / "ratings.csv"
    for row, rec in csv_rows(ratings, ["userId", "movieId", "rating", "timestamp"]):
        ts = timestamp(rec["timestamp"], ratings, row)
        log.add(rec["userId"], rec["movieId"], ts, number(rec["rating"], ratings, row, "rating"))
    return log
