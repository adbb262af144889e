"""Every name a run builds from its methods and models, built and parsed here and nowhere else.

A run's table has one row per list it evaluates; the row names are what a reader sees and what the run folder's
files, the stage times in run.json and the report's comparisons are keyed by:

    sft, dpo                 a trained LLM model (a method that trains one model)
    sprec t=2                iteration 2 of a self-play method (models/sprec/iteration-2)
    sft (embedding)          a model's generated lists, grounded one way (embedding | trie)
    sasrec > sprec t=2       the two-stage system: the retriever's candidates ranked with a model's scores
    d3: sft (trie)           a model's trie beam search guided by a classical assistant
    sft (embedding): train   a stage key: a row and what the stage did (train, recommend, rank, rerank)
"""

from __future__ import annotations

from pathlib import Path

ITERATION = " t="  # "sprec t=2"
HYBRID = " > "  # "sasrec > sft"
POOL = "+"  # "sasrec+itemknn > sft": a pool of two retrievers' candidates
D3 = "d3: "  # "d3: sft (trie)"


def model_row(method: str, iteration: int | None = None) -> str:
    """A trained model's row name: "sft", or "sprec t=2" for iteration 2 of a self-play method."""
    return method if iteration is None else f"{method}{ITERATION}{iteration}"


def method_of(row: str) -> str:
    """The method a model row belongs to: "sprec t=2" -> "sprec", "dpo" -> "dpo"."""
    return row.split(ITERATION)[0]


def iteration_of(row: str) -> int | None:
    """The self-play iteration of a row: "sprec t=2 (embedding)" -> 2; None for a row of no iteration."""
    if ITERATION not in row:
        return None
    return int(row.rsplit(ITERATION, 1)[1].split()[0])


def grounded_row(model: str, grounding: str) -> str:
    """A model's generated lists, grounded one way: "sft (embedding)"."""
    return f"{model} ({grounding})"


def grounding_of(row: str) -> str | None:
    """The grounding a row's name carries: "sprec t=2 (embedding)" -> "embedding"; None when it carries none."""
    return row[row.rfind("(") + 1 : -1] if row.endswith(")") and "(" in row else None


def pool_name(retrievers: list[str]) -> str:
    """Several retrievers' candidate pool as it appears in row names: ["sasrec", "itemknn"] -> "sasrec+itemknn"."""
    return POOL.join(retrievers)


def pool_members(pool: str) -> list[str]:
    return pool.split(POOL)


def hybrid_row(retriever: str, model: str) -> str:
    """The two-stage system: "sasrec > sft"."""
    return f"{retriever}{HYBRID}{model}"


def hybrid_parts(row: str) -> tuple[str, str] | None:
    """(retriever, model) of a two-stage row; None for any other row."""
    if HYBRID not in row:
        return None
    retriever, model = row.split(HYBRID, 1)
    return retriever, model


def at_start_weight(row: str, start: str) -> str:
    """A self-play two-stage row re-fused at its start model's row's fusion weight, as the report's differences
    name it: "sasrec > sprec-rank t=2 @ rank-sft's a"."""
    return f"{row} @ {start}'s a"


def d3_row(model: str) -> str:
    """A model's trie beam search with a classical assistant: "d3: sft (trie)"."""
    return D3 + grounded_row(model, "trie")


def stage_key(row: str, stage: str) -> str:
    """A timed stage as run.json records it: "sft: train", "sasrec > sft: rank"."""
    return f"{row}: {stage}"


def slug(model: str) -> str:
    """A model's row name as a file name: "sprec t=2" -> "sprect2"."""
    return model.replace(" ", "").replace("=", "")


def iteration_dir(iteration: int) -> str:
    """The folder of a self-play iteration's model inside its method's folder."""
    return f"iteration-{iteration}"


def model_dir(models: Path, row: str) -> Path:
    """The folder of a model row under a run's models/: "sprec t=2" -> models/sprec/iteration-2."""
    t = iteration_of(row)
    return models / method_of(row) / (iteration_dir(t) if t is not None else "")


def row_of_model_dir(folder: Path, models: Path) -> str:
    """The row name of a model folder under `models`: models/sft -> sft, models/sprec/iteration-2 -> sprec t=2."""
    parts = Path(folder).resolve().relative_to(Path(models).resolve()).parts
    if len(parts) == 2 and parts[1].startswith("iteration-"):
        return model_row(parts[0], int(parts[1].split("-")[1]))
    return parts[0]


def llm_score_label(per_token: bool, calibrated: bool) -> str:
    """The LLM score variant of a two-stage row, as its predictions file and the report name it."""
    return ("per token" if per_token else "sum") + (", calibrated" if calibrated else "")


def llm_score_variant(label: str) -> tuple[bool, bool]:
    """(per token, calibrated) of a label llm_score_label wrote."""
    return label.startswith("per token"), label.endswith(", calibrated")


def generated_stem(model: str, grounding: str) -> str:
    """The predictions file (without .json) of a model's generated lists: "sprec t=2", trie -> "sprect2-trie"."""
    return f"{slug(model)}-{grounding}"


def hybrid_stem(retriever: str, model: str) -> str:
    """The predictions file (without .json) of a two-stage row: "sasrec", "sprec t=2" -> "sasrec-sprect2"."""
    return f"{retriever}-{slug(model)}"


def d3_stem(model: str) -> str:
    """The predictions file (without .json) of a D3 row."""
    return f"d3-{slug(model)}"


def stage_parts(key: str) -> tuple[str, str | None]:
    """(row, stage) of a stage key: "d3: sft (trie): recommend" -> ("d3: sft (trie)", "recommend");
    ("popularity", None) for a key with no stage."""
    row, sep, stage = key.rpartition(": ")
    return (row, stage) if sep else (key, None)
