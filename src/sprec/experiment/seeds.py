"""One experiment over several seeds (`seeds: [0, 1, 2]` in a run config). Each seed is a whole run in
`run_dir/seed-N/`, resumable on its own, with every seed of the config set to N (training subsets and order,
LoRA initialisation, negatives, self-play prompts, SASRec); the data and its test rows are the same for all.
`run_dir/results.md` gives mean +- sd over the seeds beside the paired-bootstrap intervals of the first seed:
the two answer different questions (how much a rerun moves a number; whether two rows differ on these rows)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from sprec.config import RunConfig, classical_row
from sprec.evaluation.evaluate import DIVERSITY_MEASURES, PAPER_METRICS
from sprec.io import atomic_write_text, read_json, write_json
from sprec.names import hybrid_parts, hybrid_stem
from sprec.report import plots


def _reseeded(section, seed: int):
    """`section` (a settings dataclass) with its `seed` and every nested section's set to `seed`."""
    changes = {}
    for f in dataclasses.fields(section):
        value = getattr(section, f.name)
        if f.name == "seed":
            changes[f.name] = seed
        elif dataclasses.is_dataclass(value):
            changes[f.name] = _reseeded(value, seed)
    return dataclasses.replace(section, **changes)


def for_seed(cfg: RunConfig, seed: int) -> RunConfig:
    """The config of one seed's run: every seed in it set to `seed` (every section's, found by walking them, so a
    new section cannot be missed), except the data's, which keeps the same rows for all; its own folder."""
    data = cfg.data
    return dataclasses.replace(_reseeded(cfg, seed), data=data, seeds=None,
                               run_dir=str(Path(cfg.run_dir) / f"seed-{seed}"))  # fmt: skip


def mean_sd(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (n - 1; 0 for a single value)."""
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, 0.0
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def aggregate(per_seed: dict[int, dict]) -> dict:
    """{mode: {row: {K: {metric: {"mean", "sd", "n"}}}}} over the seeds that have the row (a row missing from
    some seed's run counts only the seeds that have it: `n` says how many)."""
    out: dict = {}
    for results in per_seed.values():
        for mode, by_row in results.items():
            for row, by_k in by_row.items():
                for k, metrics in by_k.items():
                    for name, value in metrics.items():
                        if value is not None:
                            out.setdefault(mode, {}).setdefault(row, {}).setdefault(k, {}).setdefault(name, [])
                            out[mode][row][k][name].append(value)
    for by_row in out.values():
        for by_k in by_row.values():
            for metrics in by_k.values():
                for name, values in metrics.items():
                    m, sd = mean_sd(values)
                    metrics[name] = {"mean": m, "sd": sd, "n": len(values)}
    return out


def markdown(agg_mode: dict, k: str, metrics=PAPER_METRICS) -> str:
    head = "| method | seeds | " + " | ".join(f"{m}@{k}" for m in metrics) + " |\n"
    head += "|---" * (len(metrics) + 2) + "|\n"
    body = ""
    for row, by_k in agg_mode.items():
        if k not in by_k:
            continue
        cells = [f"{by_k[k][m]['mean']:.4f} +- {by_k[k][m]['sd']:.4f}" if m in by_k[k] else "-" for m in metrics]
        n = max(v["n"] for v in by_k[k].values())
        body += f"| {row} | {n} | " + " | ".join(cells) + " |\n"
    return head + body


def means(agg: dict) -> dict:
    """{mode: {row: {K: {metric: mean}}}}: the shape of one run's results."""
    return {mode: {row: {k: {m: v["mean"] for m, v in metrics.items()} for k, metrics in by_k.items()}
                   for row, by_k in by_row.items()} for mode, by_row in agg.items()}  # fmt: skip


def write_seed_report(run_dir: Path, seeds: list[int], agg: dict, ks: list[int]) -> str:
    """run_dir/results.md (mean +- sd, then the first seed's own report with its paired-bootstrap intervals),
    results.json and seeds.json, from `agg` (aggregate() of the seeds' results); returns the mean +- sd tables."""
    text = f"# Mean +- sd over seeds {seeds} (one run per seed: seed-N/)\n\n"
    for mode, by_row in agg.items():
        text += f"## {mode.capitalize()}\n\n" + "".join(f"{markdown(by_row, str(k))}\n" for k in ks)
    text += differences_by_seed(run_dir, seeds, str(max(ks)))
    tables, first = text, run_dir / f"seed-{seeds[0]}" / "results.md"
    if first.exists():  # its tables and the paired-bootstrap differences between rows, one heading level down
        body = first.read_text().replace("\n#", "\n##").removeprefix("# ")
        text += f"## Seed {seeds[0]}: full tables and paired-bootstrap 95% intervals (`seed-{seeds[0]}/`)\n\n### {body}"
    atomic_write_text(run_dir / "results.md", text)
    write_json(run_dir / "results.json", agg)
    write_json(run_dir / "seeds.json", {"seeds": seeds, "runs": [f"seed-{s}" for s in seeds],
                                        "configs": [read_json(run_dir / f"seed-{s}" / "run.json")["config"]
                                                    for s in seeds]})  # fmt: skip
    return tables


def _interval(d: list[float]) -> str:
    return f"{d[0]:+.4f} [{d[1]:+.4f}, {d[2]:+.4f}]"


def differences_by_seed(run_dir: Path, seeds: list[int], k: str, metrics=("NDCG", "ORRatio", "MGU")) -> str:
    """Markdown: each LLM row's paired-bootstrap difference from each row it is compared with (differences.json of
    every seed that has it, first history mode), one table per metric at K = `k`, a column per seed, and how many
    seeds' intervals lie above 0 and below 0: whether a seed-0 claim holds on the others."""
    found = {s: run_dir / f"seed-{s}" / "differences.json" for s in seeds}
    per_seed = {s: next(iter(read_json(f).values()), {}) for s, f in found.items() if f.exists()}
    pairs = list(dict.fromkeys((row, ref) for d in per_seed.values() for row, refs in d.items() for ref in refs
                               if not classical_row(row)))  # fmt: skip
    if not pairs:
        return ""
    text = (f"## Paired differences seed by seed (K = {k}; 95% paired-bootstrap intervals; above / below: the seeds "
            "whose interval excludes 0 on that side)\n\n")
    for m in metrics:
        lines = [f"| {m}@{k}: row | against | " + " | ".join(f"seed {s}" for s in per_seed) + " | above | below |",
                 "|---" * (len(per_seed) + 4) + "|"]
        for row, ref in pairs:
            cells = [per_seed[s].get(row, {}).get(ref, {}).get(k, {}).get(m) for s in per_seed]
            above, below = sum(bool(c) and c[1] > 0 for c in cells), sum(bool(c) and c[2] < 0 for c in cells)
            lines.append(f"| {row} | {ref} | " + " | ".join(_interval(c) if c else "-" for c in cells)
                         + f" | {above} | {below} |")
        text += "\n".join(lines) + "\n\n"
    return text


def plot_seeds(run_dir: Path, per_seed: dict[int, dict], agg: dict, ks: list[int]) -> list[Path]:
    """run_dir/plots/seeds.png: every row's NDCG against each diversity measure at the largest K, seed by seed
    (`agg`: aggregate(per_seed)); seeds-llm.png: the same without the classical rows, whose scale would hide how
    far the LLM rows spread."""
    k, out = str(max(ks)), run_dir / "plots"
    paths = [plots.seed_spread(per_seed, agg, DIVERSITY_MEASURES, out / "seeds.png", k)]
    rows = {row for r in per_seed.values() for by_row in r.values() for row in by_row}
    if any(not classical_row(row) for row in rows):
        skip = [row for row in rows if classical_row(row)]
        paths.append(plots.seed_spread(per_seed, agg, DIVERSITY_MEASURES, out / "seeds-llm.png", k, skip=skip))
    return paths


def spread_table(run_dirs: list[Path], k: str = "10") -> str:
    """Markdown: one line per finished run (its seed and the LLM's precision, from run.json) with each classical
    row's HR@k / NDCG@k and each two-stage row's fusion weight and NDCG@k difference from its retriever (paired
    bootstrap 95% interval), then each number's range over the runs: how far a change of seed or rounding moves
    the main job's headline."""
    runs = []
    for d in run_dirs:
        info, results = read_json(d / "run.json"), read_json(d / "results.json")
        mode = next(iter(results))
        diffs = read_json(d / "differences.json").get(mode, {}) if (d / "differences.json").exists() else {}
        row = {"run": str(d), "seed": info["config"].get("seed"), "dtype": info.get("precision", {}).get("dtype")}
        for name, by_k in results[mode].items():
            parts = hybrid_parts(name)
            if parts is None:
                row[f"{name} HR"], row[f"{name} NDCG"] = by_k[k]["HR"], by_k[k]["NDCG"]
                continue
            pred = read_json(d / "predictions" / f"{hybrid_stem(*parts)}.json")
            d_ndcg = diffs.get(name, {}).get(parts[0], {}).get(k, {}).get("NDCG")
            row[f"{name} a"], row[f"{name} dNDCG"] = pred.get("weight"), d_ndcg
        runs.append(row)
    cols = list(dict.fromkeys(c for r in runs for c in r if c not in ("run", "seed", "dtype")))
    names = {" HR": f" HR@{k}", " NDCG": f" NDCG@{k}", " dNDCG": f" NDCG@{k} - retriever", " a": " weight a"}
    heads = [c.rsplit(" ", 1)[0] + names[" " + c.rsplit(" ", 1)[1]] for c in cols]
    text = f"| run | seed | LLM dtype | {' | '.join(heads)} |\n"
    text += "|---" * (len(cols) + 3) + "|\n"
    for r in runs:
        text += f"| {r['run']} | {r['seed']} | {r['dtype']} | " + " | ".join(_cell(r.get(c)) for c in cols) + " |\n"
    ranges = []
    for c in cols:
        values = [r[c][0] if isinstance(r.get(c), list) else r.get(c) for r in runs if r.get(c) is not None]
        ranges.append(f"{min(values):.4g} to {max(values):.4g}" if values else "-")
    return text + "| range | | | " + " | ".join(ranges) + " |\n"


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):  # [difference, low, high]
        return f"{value[0]:+.4f} [{value[1]:+.4f}, {value[2]:+.4f}]"
    return f"{value:.4f}" if isinstance(value, float) and value not in (0.0, 1.0) else f"{value:g}"
