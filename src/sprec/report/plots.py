"""Pictures of a run (PNG, matplotlib): the filter-bubble picture (exposure by item popularity), genres of
recommendations vs histories, and metrics per SPRec iteration."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no screen
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sprec.data.dataset import Catalog, Example  # noqa: E402
from sprec.evaluation import metrics as M  # noqa: E402
from sprec.names import grounding_of

STYLES = [("-", "o"), ("--", "s"), (":", "^"), ("-.", "D"), ((0, (5, 1)), "v"), ((0, (1, 1)), "P"),
          ((0, (3, 1, 1, 1)), "X"), ("-", "*")]  # (line style, marker) per curve of a panel: overlaps stay visible


def exposure_by_popularity(topk: dict[str, np.ndarray], catalog: Catalog, targets: np.ndarray, path: Path,
                           k: int, bins: int = 10) -> Path:  # fmt: skip
    """Share of all recommendation slots going to each decile of items ranked by training popularity (most
    popular first), the test targets' own share as the reference; one panel for the classical and hybrid rows
    and one for the LLM rows, each curve with its own line style and marker."""
    order = np.argsort(-catalog.popularity, kind="stable")
    decile = np.empty(len(catalog), dtype=int)
    decile[order] = np.arange(len(catalog)) * bins // len(catalog)
    generated = {n for n in topk if grounding_of(n) is not None}  # rows whose lists an LLM generated
    families = {"classical and hybrid": [n for n in topk if n not in generated],
                "LLM": [n for n in topk if n in generated]}
    families = {f: names for f, names in families.items() if names}
    fig, axes = plt.subplots(1, len(families), figsize=(7 * len(families), 4.8), squeeze=False, sharey=True)
    x = np.arange(1, bins + 1)
    known = targets[targets >= 0]
    for ax, (family, names) in zip(axes[0], families.items(), strict=True):
        ax.plot(x, np.bincount(decile[known], minlength=bins) / len(known), "k-", lw=3, alpha=0.35,
                label="test targets")  # fmt: skip
        for j, name in enumerate(names):
            share = np.bincount(decile[topk[name][:, :k].ravel()], minlength=bins) / topk[name][:, :k].size
            style, marker = STYLES[j % len(STYLES)]
            ax.plot(x, share, linestyle=style, marker=marker, ms=6 - 0.4 * j, alpha=0.85, label=name)
        ax.set(xlabel=f"item popularity decile (1 = most popular {100 // bins}% of the catalog)",
               ylabel=f"share of top-{k} slots", title=f"{family} rows")  # fmt: skip
        ax.set_xticks(x)
        ax.legend(fontsize=8)
    fig.suptitle("Exposure by item popularity (the filter-bubble picture)")
    fig.tight_layout()
    return _save(fig, path)


def genre_distribution(topk: dict[str, np.ndarray], examples: list[Example], catalog: Catalog, path: Path,
                       k: int) -> Path:  # fmt: skip
    """Genre-group distribution of the recommendations of each method beside that of the histories."""
    w = catalog.genre_weights
    history = np.bincount(np.concatenate([np.asarray(e.history) for e in examples]), minlength=len(catalog))
    series = {"histories": M.genre_distribution(history, w)}
    for name, lists in topk.items():
        series[name] = M.genre_distribution(M.exposure(lists[:, :k], len(catalog)), w)
    fig, ax = plt.subplots(figsize=(max(8, 1.2 * len(catalog.genre_groups)), 4.5))
    width = 0.8 / len(series)
    x = np.arange(len(catalog.genre_groups))
    for j, (name, dist) in enumerate(series.items()):
        ax.bar(x + j * width, dist, width, label=name, color="k" if name == "histories" else None)
    ax.set_xticks(x + 0.4 - width / 2, catalog.genre_groups, rotation=20, ha="right", fontsize=8)
    ax.set(ylabel="share", title=f"Genres of top-{k} recommendations vs the users' histories")
    ax.legend(fontsize=8)
    return _save(fig, path)


def metrics_per_iteration(rows: list[tuple[int, dict]], path: Path, k: str, intervals: dict[int, dict] | None = None,
                          names=("HR", "NDCG", "DivRatio", "ORRatio", "MGU")) -> Path:  # fmt: skip
    """One panel per metric: its value at K after each SPRec iteration, the SFT model (iteration 0) as a dashed
    line, and the 95% paired-bootstrap interval of each iteration's difference from SFT as a band around it
    (`intervals`: {iteration: {metric: (difference, low, high)}}). Each axis starts at 0, so that noise does
    not look like a trend."""
    fig, axes = plt.subplots(1, len(names), figsize=(3.3 * len(names), 3.4))
    its, base = [t for t, _ in rows], dict(rows).get(0)
    intervals = intervals or {}
    for ax, name in zip(axes, names, strict=True):
        values = [m[k][name] for _, m in rows]
        ax.plot(its, values, marker="o", color="C0", label="SPRec")
        top = max(values)
        if base is not None:
            ref = base[k][name]
            ax.axhline(ref, color="k", ls="--", lw=1, label="SFT")
            band = [(t, ref + intervals[t][name][1], ref + intervals[t][name][2]) for t in its if t in intervals]
            if band:
                ax.fill_between([b[0] for b in band], [b[1] for b in band], [b[2] for b in band], color="C0",
                                alpha=0.2, label="95% CI vs SFT")  # fmt: skip
                top = max(top, *(b[2] for b in band))
        ax.set(title=f"{name}@{k}", xlabel="iteration", ylim=(0, 1.15 * top if top > 0 else 1))
        ax.set_xticks(its)
    axes[0].legend(fontsize=7)
    fig.suptitle("SPRec: metrics per self-play iteration (0 = SFT; axes from 0)")
    fig.tight_layout()
    return _save(fig, path)


def hybrid_validation(curves: dict[str, dict[str, float]], path: Path, bands: dict[str, dict[str, float]] | None = None,
                      chosen: dict[str, float] | None = None) -> Path:  # fmt: skip
    """Validation NDCG@10 of each hybrid row against the fusion weight a of the LLM score (a = 0: the
    retriever alone, a = 1: the LLM alone ranking the retriever's candidates), +- one standard error where
    `bands` has it; the weight used (`chosen`, else the best) is starred."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, curve in curves.items():
        xs, ys = [float(w) for w in curve], np.array(list(curve.values()))
        (line,) = ax.plot(xs, ys, marker="o", label=name)
        if bands and name in bands:
            se = np.array([bands[name][w] for w in curve])
            ax.fill_between(xs, ys - se, ys + se, color=line.get_color(), alpha=0.15, lw=0)
        if chosen is None or name in chosen:  # the weight a row uses (its other variants: none)
            at = xs.index(chosen[name]) if chosen else int(np.argmax(ys))
            ax.plot(xs[at], ys[at], marker="*", markersize=14, color=line.get_color())
    ax.set(xlabel="a: weight of the LLM score (0 = retriever only, 1 = LLM only)", ylabel="validation NDCG@10",
           title="Hybrid: retriever + LLM score fusion (band: +-1 SE; star: weight used)")  # fmt: skip
    ax.legend(fontsize=8)
    return _save(fig, path)


KNOB_STYLES = {"popularity penalty": "-", "MMR": "--", "DPP": (0, (5, 1, 1, 1)), "calibration": ":",
               "fusion weight a": "-."}  # fmt: skip


def frontier(points: list[dict], measures: dict[str, str], path: Path, k: int) -> Path:
    """NDCG@k against each diversity measure: one line per (base, knob) over the knob's weights (colour: the
    base; line style: the knob; a square marks weight 0, the base itself), the run's own rows as labelled
    black points, Pareto-optimal points ringed."""
    fig, axes = plt.subplots(1, len(measures), figsize=(6 * len(measures), 5.5), squeeze=False)
    bases = list(dict.fromkeys(p["base"] for p in points if p["knob"] != "run row"))
    colours = {b: plt.cm.tab10(i % 10) for i, b in enumerate(bases)}
    for ax, (measure, better) in zip(axes[0], measures.items(), strict=True):
        for base in bases:
            for knob, style in KNOB_STYLES.items():
                line = sorted((p for p in points if p["base"] == base and p["knob"] == knob), key=lambda p: p["weight"])
                if line:
                    ax.plot([p[measure] for p in line], [p["NDCG"] for p in line], linestyle=style, color=colours[base],
                            lw=1.3)  # fmt: skip
                    ax.plot(line[0][measure], line[0]["NDCG"], "s", color=colours[base], ms=5)
        for p in (p for p in points if p["knob"] == "run row"):
            ax.plot(p[measure], p["NDCG"], "o", color="k", ms=5)
            ax.annotate(p["base"], (p[measure], p["NDCG"]), fontsize=7, xytext=(3, 3), textcoords="offset points")
        best = [p for p in points if p[f"pareto_{measure}"]]
        ax.plot([p[measure] for p in best], [p["NDCG"] for p in best], "o", mfc="none", mec="red", ms=10, mew=1.2)
        ax.set(xlabel=f"{measure}@{k} ({better} is better)", ylabel=f"NDCG@{k}",
               title=f"NDCG@{k} against {measure}@{k}")
    handles = [plt.Line2D([], [], color=colours[b], lw=2, label=b) for b in bases]
    handles += [plt.Line2D([], [], color="grey", ls=s, label=f"knob: {k_}") for k_, s in KNOB_STYLES.items()]
    handles += [plt.Line2D([], [], color="k", marker="o", ls="", label="rows of the run"),
                plt.Line2D([], [], color="grey", marker="s", ls="", label="weight 0 (the base list)"),
                plt.Line2D([], [], mec="red", mfc="none", marker="o", ls="", ms=10, label="Pareto-optimal")]
    fig.suptitle("Relevance-diversity frontier: each line sweeps one knob of one base list from 0 to 1")
    fig.tight_layout(rect=(0, 0.16, 1, 0.95))  # the legend goes below the panels' axis labels
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncol=min(len(handles), 6), fontsize=8)
    return _save(fig, path, tight=False)


def seed_spread(per_seed: dict[int, dict], agg: dict, measures: dict[str, str], path: Path, k: str,
                skip: Collection[str] = ()) -> Path:  # fmt: skip
    """NDCG@k against each diversity measure for every row (but `skip`) of a several-seed run: one small dot per
    seed, a cross of mean +- sd (from `agg`, sprec.experiment.seeds.aggregate), one colour per row; a panel row per
    evaluation mode. Whether two methods' crosses overlap is what a rerun with another seed would do to their
    order."""
    modes = list(dict.fromkeys(mode for results in per_seed.values() for mode in results))
    every = dict.fromkeys(row for results in per_seed.values() for by_row in results.values() for row in by_row)
    colours = {row: plt.cm.tab10(i % 10) for i, row in enumerate(every)}  # the same with and without `skip`
    rows = [row for row in every if row not in skip]
    fig, axes = plt.subplots(len(modes), len(measures), figsize=(5.5 * len(measures), 4.5 * len(modes)), squeeze=False)
    for axes_row, mode in zip(axes, modes, strict=True):
        for ax, (measure, better) in zip(axes_row, measures.items(), strict=True):
            for row in rows:
                pts = np.array([(r[mode][row][k][measure], r[mode][row][k]["NDCG"]) for r in per_seed.values()
                                if row in r.get(mode, {}) and k in r[mode][row]])  # fmt: skip
                if len(pts) == 0:
                    continue
                ax.plot(pts[:, 0], pts[:, 1], ".", color=colours[row], alpha=0.5)
                x, y = agg[mode][row][k][measure], agg[mode][row][k]["NDCG"]
                ax.errorbar(x["mean"], y["mean"], xerr=x["sd"], yerr=y["sd"], color=colours[row], capsize=3, lw=1.5)
            ax.set(xlabel=f"{measure}@{k} ({better} is better)", ylabel=f"NDCG@{k}", title=mode)
    handles = [plt.Line2D([], [], color=colours[r], marker="+", ms=8, lw=1.5, label=r) for r in rows]
    handles.append(plt.Line2D([], [], color="grey", marker=".", ls="", label="one seed"))
    fig.suptitle(f"Rows of the run over seeds {sorted(per_seed)}: mean +- sd (crosses) and each seed (dots)")
    fig.tight_layout(rect=(0, 0.1, 1, 0.95))
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 5), fontsize=8)
    return _save(fig, path, tight=False)


def size_curve(rows: list[dict], path: Path) -> Path:
    """HR@10 and the share of exact titles of SFT models against their training examples."""
    datasets = sorted({r["dataset"] for r in rows})
    fig, axes = plt.subplots(2, len(datasets), figsize=(5 * len(datasets), 7), squeeze=False)
    for col, name in enumerate(datasets):
        mine = [r for r in rows if r["dataset"] == name]
        for epochs in sorted({r["epochs"] for r in mine}):
            pts = sorted((r["examples"], r) for r in mine if r["epochs"] == epochs)
            xs = [n for n, _ in pts]
            hr = np.array([r["HR@10"] for _, r in pts])
            half = 1.96 * np.sqrt(hr * (1 - hr) / np.array([r["test_rows"] for _, r in pts]))  # binomial 95%
            axes[0][col].errorbar(xs, hr, yerr=half, fmt="o-", capsize=3, label=f"SFT, {epochs:g} epoch(s), 95% CI")
            axes[1][col].plot(xs, [r["exact_titles"] for _, r in pts], "o-", label=f"{epochs:g} epoch(s)")
        pop = [r["popularity_HR@10"] for r in mine if r["popularity_HR@10"] is not None]
        if pop:
            axes[0][col].axhline(pop[0], color="grey", linestyle="--", label="popularity")
        axes[0][col].set_title(f"{name}: HR@10 on {mine[0]['test_rows']} test rows")
        axes[1][col].set_title(f"{name}: generations that are exact catalog titles")
        for ax in (axes[0][col], axes[1][col]):
            ax.set_xscale("log", base=2)
            ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
            ax.set_ylim(bottom=0)
            ax.set_xlabel("SFT training examples")
            ax.legend(fontsize=8)
    return _save(fig, path)


def _save(fig, path: Path, tight: bool = True) -> Path:
    """Write a PNG; `tight=False` keeps a layout the caller made (room left for a figure-level legend)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if tight:
        fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
