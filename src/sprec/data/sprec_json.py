"""Reader for SPRec's prompt JSON (`instruction` / `input` / `output`) and its catalog folder
(`id2name.json`, `name2genre.json`, `genre_dict.json`, optional `name2id.json`).

Histories are recovered by matching against catalog titles, not by splitting on quotes: some titles
contain quotes and commas (SPREC.md section 4, fault 6).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from sprec.data.dataset import Catalog, Example, Item
from sprec.data.sources import check_genre_table
from sprec.errors import DataError
from sprec.io import read_json

SEPARATOR = '", "'


def read_sprec_catalog(folder: str | Path) -> tuple[Catalog, Counter]:
    """Items ordered by their SPRec id; a title shared by several ids is merged into the id `name2id.json`
    gives it (else the smallest), the others kept as aliases and counted."""
    folder = Path(folder)
    id2name = read_json(folder / "id2name.json")
    name2genre = check_genre_table(read_json(folder / "name2genre.json"), folder / "name2genre.json")
    groups = read_json(folder / "genre_dict.json")
    name2id = read_json(folder / "name2id.json") if (folder / "name2id.json").exists() else {}
    for path, obj in ((folder / "id2name.json", id2name), (folder / "name2genre.json", name2genre),
                      (folder / "genre_dict.json", groups)):  # fmt: skip
        if not isinstance(obj, dict):
            raise DataError("expected a JSON object", path)
    try:
        order = sorted(id2name, key=int)
    except ValueError:
        raise DataError("ids must be integers", folder / "id2name.json") from None
    by_title: dict[str, list[str]] = {}
    for sid in order:
        if not isinstance(id2name[sid], str) or not id2name[sid].strip():
            raise DataError(f"id {sid} has no title", folder / "id2name.json")
        by_title.setdefault(id2name[sid], []).append(sid)
    drops, items = Counter(), []
    for sid in order:
        title = id2name[sid]
        ids = by_title[title]
        canonical = str(name2id.get(title, ids[0]))
        canonical = canonical if canonical in ids else ids[0]
        if sid != canonical:
            drops["duplicate_title_merged"] += 1
            continue
        genres = name2genre.get(title, [])
        if title not in name2genre:
            drops["item_without_genre_entry"] += 1
        aliases = tuple(i for i in ids if i != canonical)
        items.append(Item(len(items), title, tuple(genres), source_id=sid, aliases=aliases))
    return Catalog(items, list(groups), folder / "genre_dict.json"), drops


def unquote(text: str) -> str:
    text = text.strip()
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def parse_history(text: str, catalog: Catalog) -> tuple[list[int], list[str]]:
    """Item ids of the quoted titles in `text` (oldest first) and the titles not in the catalog.

    The titles sit between the first and the last double quote, joined by '", "'. A title may itself contain
    '", "', so pieces are re-joined wherever that gives a catalog title: a small DP over pieces that skips
    as few pieces as possible (SPRec's own test histories name a few books its catalog lacks).
    """
    start, end = text.find('"'), text.rfind('"')
    if start < 0 or end <= start:
        return [], []
    pieces = text[start + 1 : end].split(SEPARATOR)
    m = len(pieces)
    best: list[tuple[int, list[int], list[str]] | None] = [None] * (m + 1)
    best[0] = (0, [], [])
    for i in range(m):
        if best[i] is None:
            continue
        cost, ids, unknown = best[i]
        steps = [(i + 1, cost + 1, ids, [*unknown, pieces[i]])]  # skip one unknown piece
        for j in range(i + 1, m + 1):
            item = catalog.id_of(SEPARATOR.join(pieces[i:j]))
            if item is not None:
                steps.append((j, cost, [*ids, item], unknown))
        for j, c, new_ids, new_unknown in steps:
            if best[j] is None or c < best[j][0]:
                best[j] = (c, new_ids, new_unknown)
    return best[m][1], best[m][2]


def infer_item_noun(instruction: str) -> str:
    m = re.search(r"list of (\w+?)s? ", instruction)
    return m.group(1) if m else "item"


def read_sprec_examples(path: str | Path, catalog: Catalog, keep_unknown_target: bool,
                        strict: bool = False) -> tuple[list[Example], Counter, str]:  # fmt: skip
    """Examples of one split file, the counted drops, and the item noun of its instruction.

    keep_unknown_target: keep rows whose target is not in the catalog (test: they count as misses).
    strict: raise instead of dropping (evaluation must keep row order aligned with predictions).
    """
    rows = read_json(path)
    if not isinstance(rows, list):
        raise DataError("expected a JSON list of {instruction, input, output} objects", path)
    examples, drops, noun = [], Counter(), "item"
    for n, row in enumerate(rows, 1):
        if not isinstance(row, dict) or not {"input", "output"} <= row.keys():
            raise DataError("expected an object with keys 'instruction', 'input', 'output'", path, n)
        if n == 1:
            noun = infer_item_noun(str(row.get("instruction", "")))
        history, unknown = parse_history(str(row["input"]), catalog)
        target_title = unquote(str(row["output"]))
        target = catalog.id_of(target_title)
        problem = None
        if not history:
            problem, reason = f"no history title found in the catalog (unknown: {unknown[:3]})", "empty_history"
        elif target is None and not keep_unknown_target:
            problem, reason = f"target {target_title!r} is not in the catalog", "target_not_in_catalog"
        if problem:
            if strict:
                raise DataError(problem, path, n)
            drops[reason] += 1
            continue
        if unknown:  # kept out of the history, as in the official metrics (no genre, no id)
            drops["history_title_not_in_catalog"] += len(unknown)
        if target is None:
            drops["target_not_in_catalog_kept_as_miss"] += 1
        examples.append(Example(tuple(history), target, target_text=None if target is not None else target_title))
    return examples, drops, noun
