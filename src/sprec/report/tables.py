"""Comparison tables across methods: markdown, CSV and JSON."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from sprec.baselines.popularity import recommend_popular
from sprec.config import CLASSICAL, classical_row
from sprec.evaluation import health
from sprec.evaluation.evaluate import BUCKET_METRICS, BUCKETS, EXTRA_METRICS, PAPER_METRICS
from sprec.evaluation.metrics import popularity_buckets
from sprec.io import atomic_write_text, write_json
from sprec.names import grounding_of, hybrid_parts, hybrid_row, iteration_of, method_of, pool_members
from sprec.report.bootstrap import interval_cell, paired_bootstrap
from sprec.report.start_weight import start_weight_differences

COLUMNS = [*PAPER_METRICS, *EXTRA_METRICS]
CSV_COLUMNS = [*COLUMNS, *BUCKET_METRICS]


def rows(results: dict[str, dict[str, dict]]) -> list[dict]:
    """Flatten {history mode: {method: {K: {metric: value}}}} into one row per (mode, method, K)."""
    return [{"history": mode, "method": m, "K": int(k), **{c: v.get(c) for c in CSV_COLUMNS}}
            for mode, by_method in results.items() for m, by_k in by_method.items()
            for k, v in by_k.items()]  # fmt: skip


def markdown(results: dict[str, dict]) -> str:
    """One method table (rows: method and K) of a single history mode."""
    head = "| method | K | " + " | ".join(COLUMNS) + " |\n" + "|---" * (len(COLUMNS) + 2) + "|\n"
    body = ""
    for r in rows({"": results}):
        cells = ["-" if r[c] is None else f"{r[c]:.4f}" for c in COLUMNS]
        body += f"| {r['method']} | {r['K']} | " + " | ".join(cells) + " |\n"
    return head + body


def write_tables(out_dir: str | Path, results: dict[str, dict[str, dict]], preamble: str = "",
                 sections: dict[str, str] | None = None, appendix: str = "") -> str:  # fmt: skip
    """results.md (preamble, then per history mode its table and `sections[mode]`, then the appendix),
    results.csv and results.json; returns what results.md holds after the preamble."""
    out = Path(out_dir)
    sections = sections or {}
    text = "".join(f"## {mode.capitalize()}\n\n{markdown(by_method)}{sections.get(mode, '')}\n"
                   for mode, by_method in results.items()) + appendix  # fmt: skip
    atomic_write_text(out / "results.md", preamble + text)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["history", "method", "K", *CSV_COLUMNS])
    writer.writeheader()
    writer.writerows(rows(results))
    atomic_write_text(out / "results.csv", buf.getvalue())
    write_json(out / "results.json", results)
    return text


def baseline_warnings(results: dict[str, dict[str, dict]], k: int) -> list[str]:
    """A line for each trained classical baseline that scores under popularity's HR@k in some history mode."""
    lines = []
    for mode, by_method in results.items():
        pop = by_method.get("popularity", {}).get(str(k), {}).get("HR")
        for name in CLASSICAL[1:]:
            hr = by_method.get(name, {}).get(str(k), {}).get("HR")
            if pop is not None and hr is not None and hr < pop:
                lines.append(f"WARNING ({mode}): {name} HR@{k} {hr:.4f} is below popularity's {pop:.4f}; a trained "
                             "baseline under popularity is a bug until shown otherwise")  # fmt: skip
    return lines


def best_row(by_method: dict[str, dict], names, k: int) -> str | None:
    """The row of `names` with the highest NDCG@k (None when there is none)."""
    return max(names, key=lambda n: by_method[n][str(k)]["NDCG"], default=None)


def standing(by_method: dict[str, dict], k: int, imported: frozenset[str] = frozenset()) -> str | None:
    """One sentence: the best LLM row against the best classical baseline, by NDCG@k (rows imported from
    elsewhere are neither)."""
    classical = best_row(by_method, [n for n in by_method if classical_row(n)], k)
    llm = best_row(by_method, [n for n in by_method if not classical_row(n) and n not in imported], k)
    if classical is None or llm is None:
        return None
    c, m = by_method[classical][str(k)], by_method[llm][str(k)]
    return (f"\nBest LLM row {llm}: HR@{k} {m['HR']:.4f}, NDCG@{k} {m['NDCG']:.4f}; best classical baseline "
            f"{classical}: HR@{k} {c['HR']:.4f}, NDCG@{k} {c['NDCG']:.4f} (LLM / classical NDCG: "
            f"{m['NDCG'] / c['NDCG'] if c['NDCG'] else float('nan'):.2f}).\n\n")


def bucket_section(by_method: dict[str, dict], k: int, popularity: np.ndarray) -> str:
    """HR@k and NDCG@k of every row by its target's training popularity: where a row's accuracy comes from."""
    counted = [m[str(k)] for m in by_method.values() if "rows_head" in m.get(str(k), {})]
    if not counted:
        return ""  # metrics computed before the buckets existed
    buckets = [b for b in BUCKETS if counted[0][f"rows_{b}"]]
    n_head = int(popularity_buckets(popularity)["head"].sum())
    lines = [f"| method | {' | '.join(f'HR {b} | NDCG {b}' for b in buckets)} |", "|---" * (2 * len(buckets) + 1) + "|"]
    for name, by_k in by_method.items():
        m = by_k[str(k)]
        cells = ["-" if m.get(f"{x}_{b}") is None else f"{m[f'{x}_{b}']:.4f}" for b in buckets for x in ("HR", "NDCG")]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    rows_in = ", ".join(f"{b} {counted[0][f'rows_{b}']}" for b in BUCKETS)
    return (f"\n### Accuracy by the target's popularity (K = {k})\n\nhead: the {n_head} most popular items, holding "
            f"20% of the training targets; tail: every other item; cold: items with fewer than 5 training targets "
            f"(part of the tail). Test rows: {rows_in}.\n\n" + "\n".join(lines) + "\n")


def _sft_row(grounding: str | None, names: list[str]) -> str | None:
    """The first SFT row of `names` (the SFT family: sft, sft-reweighted), of this grounding when one is given."""
    for candidate in names:
        if candidate.startswith("sft") and (grounding is None or grounding_of(candidate) == grounding):
            return candidate
    return next((n for n in names if n.startswith("sft")), None)


def _baseline_for(name: str, names: list[str]) -> str | None:
    """The SFT row a method is compared with: same grounding when the name carries one."""
    return _sft_row(grounding_of(name), names)


def references_for(name: str, names: list[str]) -> list[str]:
    """The rows a row is compared with: a hybrid row "R > model" with its retriever R (for a pool "A+B": the pool's
    own row, A and B), with the SFT hybrid "R > sft" and, for sprec-rank, with the rank-sft hybrid it was trained
    from (SPRec's claim: what the system over-shows goes down at the same accuracy); a pool's row with its
    retrievers; any other row with its SFT row."""
    if hybrid_parts(name) is not None:
        retriever, model = hybrid_parts(name)
        members = pool_members(retriever) if len(pool_members(retriever)) > 1 else []
        start = [hybrid_row(retriever, "rank-sft")] if method_of(model) == "sprec-rank" else []
        wanted = (retriever, *members, hybrid_row(retriever, "sft"), *start)
        return [r for r in wanted if r in names and r != name]
    if len(pool_members(name)) > 1:
        return [r for r in pool_members(name) if r in names]
    base = _baseline_for(name, [n for n in names if hybrid_parts(n) is None])
    return [base] if base is not None and base != name else []


def differences(lists: dict[str, np.ndarray], examples, catalog, ks: list[int], seed: int,
                references: dict[str, list[str]] | None = None) -> tuple[dict, str]:  # fmt: skip
    """Paired-bootstrap differences of every row from its reference rows (`references`, else references_for)
    at every K: a JSON-ready dict {row: {reference: {K: {metric: (difference, low, high)}}}} and a markdown
    section."""
    lines, diffs = [], {}
    for name in lists:
        for base in (references or {}).get(name) or references_for(name, list(lists)):
            ci = paired_bootstrap(lists[name], lists[base], examples, catalog, ks, seed=seed)
            diffs.setdefault(name, {})[base] = ci
            for k, by_metric in ci.items():
                cells = [interval_cell(*c) for c in by_metric.values()]
                lines.append(f"| {name} | {base} | {k} | " + " | ".join(cells) + " |")
    if not lines:
        return diffs, ""
    head = "| method | vs | K | " + " | ".join(PAPER_METRICS)
    title = "Differences: from SFT; hybrids from their retriever and the SFT hybrid (sprec-rank: and rank-sft's); "\
            "imported rows from the best classical row"
    return diffs, (f"\n### {title} (paired bootstrap 95% CI over test rows)\n\n{head} |\n"
                   + "|---" * (len(PAPER_METRICS) + 3) + "|\n" + "\n".join(lines) + "\n")  # fmt: skip


def pool_section(preds: dict) -> str:
    """The retrievers' weights in each pool row, with the validation NDCG@10 of every mix tried."""
    lines = []
    for name, p in preds.items():
        if curve := p.meta.get("mix_validation_ndcg_at_10"):
            best = max(curve.values())
            used = "+".join(f"{w:g}" for w in p.meta["mix"])
            lines += [f"\n{name}: weights of {', '.join(p.meta['retrievers'])} (used: {used}; best validation "
                      f"NDCG@10 in bold)\n", "| mix | " + " | ".join(curve) + " |", "|---" * (len(curve) + 1) + "|",
                      "| validation NDCG@10 | " + " | ".join(f"**{v:.4f}**" if v == best else f"{v:.4f}"
                                                           for v in curve.values()) + " |"]  # fmt: skip
    if not lines:
        return ""
    return ("## Pools: the retrievers' standardised scores mixed, weights chosen on the validation rows\n"
            + "\n".join(lines) + "\n\n")


def hybrid_section(preds: dict, out: Path) -> str:
    """The LLM score variant and fusion weight of every hybrid row, with the validation curve of each variant
    tried (table and plot)."""
    from sprec.report import plots

    curves = {}  # (row, variant) -> {weight: validation NDCG@10}
    for name, p in preds.items():
        if "validation_ndcg_at_10" in p.meta:
            for variant, curve in p.meta.get("validation_curves", {"": p.meta["validation_ndcg_at_10"]}).items():
                curves[(name, variant)] = curve
    if not curves:
        return ""
    grid = list(next(iter(curves.values())))
    lines = ["| hybrid row | LLM score | used | " + " | ".join(f"a={w}" for w in grid) + " |",
             "|---" * (len(grid) + 3) + "|"]
    for (name, variant), curve in curves.items():
        meta = preds[name].meta
        used = f"a = {meta['weight']} ({meta['weight_from']})" if variant == meta.get("llm_score", "") else ""
        model = hybrid_parts(name)[1]
        if used and "calibrated" in variant and meta.get("prior_of", model) != model:
            used += f", prior of {meta['prior_of']}"
        lines.append(f"| {name} | {variant or '-'} | {used} | " + " | ".join(f"{curve[w]:.4f}" for w in grid) + " |")
    label = {(n, v): f"{n} [{v}]" if v else n for n, v in curves}
    used = {(n, v) for n, v in curves if v == preds[n].meta.get("llm_score", "")}  # the variant each row uses
    bands = {label[c]: preds[c[0]].meta["validation_se"] for c in used if "validation_se" in preds[c[0]].meta}
    chosen = {label[c]: preds[c[0]].meta["weight"] for c in used}
    plots.hybrid_validation({label[c]: v for c, v in curves.items()}, out / "plots" / "hybrid_validation.png",
                            bands, chosen)  # fmt: skip
    return ("## Hybrid: the fusion weight a of the LLM score (validation NDCG@10 against a; a = 0 is the retriever)"
            "\n\nLLM score: the answer's log-probability summed over its tokens or per token; calibrated: minus its "
            "log-probability under a prompt with no history (the item's prior; a self-play model's row subtracts the "
            "prior of the model its self-play started from, `hybrid.prior`).\n\n" + "\n".join(lines) + "\n\n")


def write_report(out_dir: str | Path, dataset, results: dict, predictions: dict[str, Path], ks: list[int],
                 preamble: str = "", seed: int = 0) -> str:  # fmt: skip
    """Per history mode of `results` ({mode label: {row: {K: metrics}}}): the table, the best LLM row against
    the best classical one, the paired-bootstrap differences from SFT at the largest K; warnings on top; the
    plots of the first mode. Returns the warnings and tables as printed."""
    from sprec.evaluation.evaluate import HISTORY_MODES, lists_for_mode, load_predictions
    from sprec.report import plots

    out = Path(out_dir)
    k = max(ks)
    test, catalog = dataset.splits["test"], dataset.catalog
    preds = {n: load_predictions(p) for n, p in predictions.items()}
    imported = frozenset(n for n, p in preds.items() if "imported_from" in p.meta)
    sections, diffs, first, popular_rows = {}, {}, None, []
    for exclude, mode in HISTORY_MODES.items():
        if mode not in results:
            continue
        lists = {n: np.asarray(lists_for_mode(preds[n], test, exclude, k))[:, :k] for n in results[mode]}
        first = lists if first is None else first
        best = best_row(results[mode], [n for n in results[mode] if classical_row(n)], k)
        refs = {n: [best] for n in imported if best is not None and n in lists}
        diffs[mode], sections[mode] = differences(lists, test, catalog, ks, seed, refs)
        at_start, at_start_text = start_weight_differences({n: preds[n] for n in lists}, predictions, test, catalog,
                                                           exclude, k, seed)  # fmt: skip
        diffs[mode].update(at_start)
        sections[mode] = (standing(results[mode], k, imported) or "") + sections[mode] + at_start_text \
            + bucket_section(results[mode], k, catalog.popularity)
        popular = np.asarray(recommend_popular(catalog, test, k, exclude))
        overlaps = {n: health.popularity_overlap(rows, popular, k) for n, rows in lists.items() if n != "popularity"}
        popular_rows += health.popularity_warnings(overlaps, mode, k)
    if any(diffs.values()):
        write_json(out / "differences.json", diffs)
    metas = {n: p.meta for n, p in preds.items()}
    gens, negs = health.run_health(out, predictions, metas)
    warnings = [*baseline_warnings(results, k), *popular_rows, *health.warnings(gens, negs),
                *health.hybrid_warnings(metas), *health.time_budget_warnings(out),
                *health.history_repeat_note(dataset.splits["train"], HISTORY_MODES[False] in results)]
    warnings = "".join(f"{w}\n\n" for w in warnings)
    appendix = pool_section(preds) + hybrid_section(preds, out) + health.section(gens, negs, catalog)
    table = warnings + write_tables(out, results, preamble + warnings, sections, appendix)
    targets = np.array([-1 if e.target is None else e.target for e in test])
    plots.exposure_by_popularity(first, catalog, targets, out / "plots" / "exposure_by_popularity.png", k)
    plots.genre_distribution(first, test, catalog, out / "plots" / "genres.png", k)
    by_method = next(iter(results.values()))
    iterations = [n for n in by_method if method_of(n) == "sprec" and iteration_of(n) is not None]
    for grounding in sorted({grounding_of(n) for n in iterations} - {None}):
        base = _sft_row(grounding, list(by_method))
        mine = [n for n in iterations if grounding_of(n) == grounding]
        series = [(0, by_method[base])] if base else []  # iteration 0 = the SFT model
        series += [(iteration_of(n), by_method[n]) for n in mine]
        first_diffs = next(iter(diffs.values()), {})
        intervals = {iteration_of(n): first_diffs[n][base][str(k)] for n in mine if base in first_diffs.get(n, {})}
        plots.metrics_per_iteration(sorted(series, key=lambda x: x[0]),
                                    out / "plots" / f"sprec_iterations_{grounding}.png", str(k), intervals)  # fmt: skip
    return table
