"""Where learning starts: the SFT model's accuracy and share of real titles as the training size grows.

Each point is an ordinary resumable `sprec run` (popularity + SFT) of the base config with another
`sft.examples` / `sft.epochs`, in its own run folder; `collect` reads the points (and any other finished run
folder with an SFT row) back into one table, `write_curve` writes it with a plot.
"""

from __future__ import annotations

import copy
import csv
import io
from pathlib import Path

from sprec.config import RunConfig
from sprec.io import atomic_write_text, read_json, write_json
from sprec.names import generated_stem, grounded_row, stage_key

COLUMNS = ["dataset", "examples", "epochs", "model", "test_rows", "HR@10", "NDCG@10", "exact_titles",
           "popularity_HR@10", "popularity_NDCG@10", "train_seconds", "run_dir"]  # fmt: skip


def point_config(base: RunConfig, examples: int, epochs: float, root: Path) -> RunConfig:
    cfg = copy.deepcopy(base)
    cfg.methods = ["popularity", "sft"]
    cfg.sft.examples, cfg.sft.epochs = examples, epochs
    cfg.run_dir = str(root / f"{Path(base.run_dir).name}-sft{examples}x{epochs:g}")
    return cfg


def run_points(base: RunConfig, examples: list[int], epochs: list[float], root: Path) -> list[Path]:
    """Runs (or resumes) every point, smallest total work first, so an interrupted curve has its cheap end."""
    from sprec.experiment.pipeline import run

    points = sorted(((n, e) for n in examples for e in epochs), key=lambda p: (p[0] * p[1], p[1]))
    folders = []
    for n, e in points:
        cfg = point_config(base, n, e, root)
        run(cfg)
        folders.append(Path(cfg.run_dir))
    return folders


def collect(run_dirs: list[Path], grounding: str = "embedding") -> list[dict]:
    """One row per run folder that has an SFT result with this grounding (others are skipped)."""
    rows = []
    for d in run_dirs:
        d = Path(d)
        if not (d / "results.json").exists():
            continue
        results, info = read_json(d / "results.json"), read_json(d / "run.json")
        if "history allowed" in results or "history excluded" in results:  # by history mode: the first one
            results = next(iter(results.values()))
        name = grounded_row("sft", grounding)
        if name not in results:
            continue
        preds = read_json(d / "predictions" / f"{generated_stem('sft', grounding)}.json")
        sft, pop = results[name]["10"], results.get("popularity", {}).get("10", {})
        n_rows = len(preds["topk"])
        rows.append({
            "dataset": read_json(d / "data" / "meta.json")["name"], "examples": info["config"]["sft"]["examples"],
            "epochs": info["config"]["sft"]["epochs"], "model": info["config"]["model"]["name"],
            "test_rows": n_rows, "HR@10": sft["HR"], "NDCG@10": sft["NDCG"],
            "exact_titles": preds["stats"]["exact_catalog_titles"] / n_rows,
            "popularity_HR@10": pop.get("HR"), "popularity_NDCG@10": pop.get("NDCG"),
            "train_seconds": info["wall_seconds"].get(stage_key("sft", "train")), "run_dir": str(d),
        })  # fmt: skip
    return sorted(rows, key=lambda r: (r["dataset"], r["epochs"], r["examples"]))


def markdown(rows: list[dict]) -> str:
    head = ["dataset", "SFT examples", "epochs", "test rows", "HR@10", "NDCG@10", "exact titles",
            "popularity HR@10", "popularity NDCG@10", "train s"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        pop = [f"{r['popularity_HR@10']:.4f}", f"{r['popularity_NDCG@10']:.4f}"] if r["popularity_HR@10"] is not None \
            else ["", ""]  # fmt: skip
        cells = [r["dataset"], str(r["examples"]), f"{r['epochs']:g}", str(r["test_rows"]), f"{r['HR@10']:.4f}",
                 f"{r['NDCG@10']:.4f}", f"{r['exact_titles']:.1%}", *pop, f"{r['train_seconds'] or 0:.0f}"]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_curve(rows: list[dict], out: Path, preamble: str = "") -> None:
    out = Path(out)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(out / "curve.csv", buf.getvalue())
    write_json(out / "curve.json", rows)
    atomic_write_text(out / "curve.md", preamble + markdown(rows))
    if rows:
        from sprec.report.plots import size_curve

        size_curve(rows, out / "curve.png")
