"""`sprec export`: a model's top-K for every user (their latest history in the prepared data) or for a split's
rows, in the raw data's own item ids, as CSV, JSONL or Parquet. Written in chunks under OUT.parts/ (each atomic,
so a stopped export resumes at its first missing chunk), spread over the processes of an `accelerate launch`,
then joined into OUT atomically."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tqdm.auto import tqdm

from sprec.distributed import is_main_process, share, wait_for_everyone
from sprec.errors import DataError
from sprec.io import atomic_write_text, read_json, write_json
from sprec.serve.system import RunSystem

FORMATS = ("csv", "jsonl", "parquet")
COLUMNS = ("user", "rank", "item_id", "title", "score")


def export_rows(system: RunSystem, users: str) -> list[tuple[str, list[int]]]:
    """(user, history) to export: "all" users' latest histories, or the rows of split `users`."""
    if users == "all":
        return [(u, h) for u, (h, _) in sorted(system.latest.items())]
    if users not in system.ds.splits:
        raise DataError(f"no split {users!r} in the prepared data (splits: {', '.join(system.ds.splits)})",
                        system.ds.path)  # fmt: skip
    return [(str(e.user_id) if e.user_id is not None else f"row-{i}", list(e.history))
            for i, e in enumerate(system.ds.splits[users])]  # fmt: skip


def export(system: RunSystem, model: str, users: str, k: int, fmt: str, out: str | Path, chunk_size: int = 64,
           exclude_history: bool = True) -> Path:  # fmt: skip
    if fmt not in FORMATS:
        raise DataError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}", out)
    out = Path(out)
    rows = export_rows(system, users)
    parts = out.with_name(out.name + ".parts")
    what = {"run": str(system.run_dir), "model": model, "users": users, "k": k, "rows": len(rows),
            "exclude_history": exclude_history, "chunk_size": chunk_size}  # fmt: skip
    if is_main_process():
        if (parts / "export.json").exists() and read_json(parts / "export.json") != what:
            raise DataError(f"{parts} holds the chunks of another export ({read_json(parts / 'export.json')}); "
                            "delete it or export to another file", parts)  # fmt: skip
        write_json(parts / "export.json", what)
    wait_for_everyone()
    starts = list(range(0, len(rows), chunk_size))
    for start in tqdm(starts[share(len(starts))], desc=f"export {model}", unit="chunk"):
        path = parts / f"{start // chunk_size:06d}.csv"
        if path.exists():
            continue
        chunk = rows[start : start + chunk_size]
        lists = system.recommend([h for _, h in chunk], k, model, exclude_history)
        atomic_write_text(path, _csv([(u, items) for (u, _), items in zip(chunk, lists, strict=True)], system))
    wait_for_everyone()
    if is_main_process():
        _join(sorted(parts.glob("*.csv")), fmt, out)
    wait_for_everyone()
    return out


def _csv(lists, system: RunSystem) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    catalog = system.ds.catalog
    for user, items in lists:
        for rank, rec in enumerate(items, 1):
            it = catalog.items[rec.item]
            w.writerow([user, rank, it.source_id or it.id, it.title, f"{rec.score:.6g}"])
    return buf.getvalue()


def _join(chunks: list[Path], fmt: str, out: Path) -> None:
    records = [row for path in chunks for row in csv.reader(io.StringIO(path.read_text()))]
    tmp = out.with_name(f".{out.name}.tmp")
    if fmt == "csv":
        with tmp.open("w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(COLUMNS)
            w.writerows(records)
    elif fmt == "jsonl":
        import json

        by_user: dict[str, list] = {}
        for user, _, item, title, score in records:
            by_user.setdefault(user, []).append({"item_id": item, "title": title, "score": float(score)})
        tmp.write_text("".join(json.dumps({"user": u, "items": items}) + "\n" for u, items in by_user.items()))
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        cols = list(zip(*records, strict=True)) if records else [()] * len(COLUMNS)
        table = pa.table({"user": list(cols[0]), "rank": [int(r) for r in cols[1]], "item_id": list(cols[2]),
                          "title": list(cols[3]), "score": [float(s) for s in cols[4]]})  # fmt: skip
        pq.write_table(table, tmp)
    tmp.replace(out)
