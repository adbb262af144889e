"""The run config: every section of one experiment, checked as a whole."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from sprec.config.methods import METHODS, RANKERS, SELFPLAY_START
from sprec.config.sections import (
    D3Settings,
    DataConfig,
    DPOSettings,
    HybridSettings,
    ItemKNNSettings,
    ModelConfig,
    RankSFTSettings,
    RecommendSettings,
    RerankSettings,
    SASRecSettings,
    SelfPlaySettings,
    SFTSettings,
    SPRecRankSettings,
)
from sprec.errors import ConfigError
from sprec.names import method_of


@dataclass
class EvalConfig:
    ks: list[int] = field(default_factory=lambda: [1, 5, 10])  # paper reports K = 1 and 5
    # false: history items may be recommended (the paper's code); true: never; both: every list that can drop
    # history items after the fact (all but trie-decoded ones) is evaluated both ways, in two tables
    exclude_history: bool | str = False

    def __post_init__(self):
        if not self.ks or min(self.ks) < 1:
            raise ConfigError(f"eval.ks: need positive cut-offs, got {self.ks}")
        if self.exclude_history not in (False, True, "both"):
            raise ConfigError(f"eval.exclude_history: choose false, true or both, got {self.exclude_history!r}")

    @property
    def modes(self) -> list[bool]:
        """The exclude-history modes evaluated, the first one the report's main table."""
        return [False, True] if self.exclude_history == "both" else [bool(self.exclude_history)]

    @property
    def generate_excluding(self) -> bool:
        """The mode lists are made in: with `both`, allowed (longer lists, history dropped afterwards)."""
        return self.exclude_history is True


@dataclass
class RunConfig:
    run_dir: str  # every stage writes here; a rerun resumes from what is already there
    data: DataConfig
    methods: list[str] = field(default_factory=lambda: list(METHODS))
    eval: EvalConfig = field(default_factory=EvalConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    sft: SFTSettings = field(default_factory=SFTSettings)
    recommend: RecommendSettings = field(default_factory=RecommendSettings)
    dpo: DPOSettings = field(default_factory=DPOSettings)  # the DPO-random baseline (from the SFT model)
    sdpo_negatives: int = 3  # the S-DPO and DMPO baselines: random negatives per prompt
    # sft-reweighted: each example's loss weight ~ popularity(target)^-exponent, mean 1 (0: plain SFT)
    sft_reweight_exponent: float = 0.5
    selfplay: SelfPlaySettings = field(default_factory=SelfPlaySettings)
    rerank: RerankSettings = field(default_factory=RerankSettings)
    rank_sft: RankSFTSettings = field(default_factory=RankSFTSettings)  # rank-sft, over the hybrid's retriever
    sprec_rank: SPRecRankSettings = field(default_factory=SPRecRankSettings)  # sprec-rank, from rank-sft
    sasrec: SASRecSettings = field(default_factory=SASRecSettings)
    itemknn: ItemKNNSettings = field(default_factory=ItemKNNSettings)
    hybrid: HybridSettings = field(default_factory=HybridSettings)
    d3: D3Settings = field(default_factory=D3Settings)
    groundings: list[str] = field(default_factory=lambda: ["embedding"])  # each LLM method is evaluated with each
    # rows made elsewhere (another library, a GPU run): row name -> predictions JSON of this dataset's test rows
    # (a list of item-id lists, best first, or an object with "topk"; paths relative to the config file)
    imported: dict[str, str] = field(default_factory=dict)
    seed: int = 0
    # several seeds: one whole run per seed in run_dir/seed-N with every seed set to N; results.md: mean +- sd
    seeds: list[int] | None = None
    # torch threads per process; null: the cores this process may use (CPU affinity) / processes. On a shared
    # machine, jobs with torch's default threads each run several times slower: give each its share.
    threads: int | None = None

    def __post_init__(self):
        if not 0 <= self.sft_reweight_exponent < 10:
            raise ConfigError(f"sft_reweight_exponent must be in [0, 10), got {self.sft_reweight_exponent}")
        if self.seeds is not None and (not self.seeds or len(set(self.seeds)) != len(self.seeds)):
            raise ConfigError(f"seeds must be a non-empty list of distinct integers, got {self.seeds}")
        if self.threads is not None and self.threads < 1:
            raise ConfigError(f"threads must be a positive number or null, got {self.threads}")
        if not self.methods:
            raise ConfigError(f"methods: name at least one of {list(METHODS)}")
        unknown = [m for m in self.methods if m not in METHODS]
        if unknown:
            raise ConfigError(f"methods: unknown {unknown}; available: {list(METHODS)}")
        for ranker in set(RANKERS) & set(self.methods):
            if "hybrid" not in self.methods:
                raise ConfigError(f"methods: {ranker} ranks the retriever's candidates and has rows only as a hybrid "
                                  "row: add hybrid to methods")  # fmt: skip
        for g in self.groundings:
            dataclasses.replace(self.recommend, grounding=g)  # validates the name
        for section in ("hybrid", "d3"):
            for name in getattr(self, section).models or []:
                method = method_of(name)
                if method not in METHODS:
                    raise ConfigError(f"{section}.models: {name!r} is not a model row (e.g. 'sft', 'sprec t=2')")
                if method not in [*self.methods, "sft"]:
                    raise ConfigError(f"{section}.models: {name!r} needs {method!r} in methods")
        # hybrid rows are compared with their retrievers' rows (sprec-hybrid alone trains its retriever on demand)
        missing = [r for r in self.hybrid.retrievers if r not in self.methods]
        if "hybrid" in self.methods and missing:
            raise ConfigError(f"hybrid.retriever: {missing} not among the run's methods; add them to methods (their "
                              "own rows are what a hybrid row is compared with)")  # fmt: skip
        if "hybrid" in self.methods and self.hybrid.candidates < max(self.eval.ks):
            raise ConfigError(f"hybrid.candidates ({self.hybrid.candidates}) must be at least the largest K "
                              f"({max(self.eval.ks)})")  # fmt: skip

    def prior_model(self, model: str) -> str:
        """The model row whose history-free prior a hybrid row of `model` subtracts when calibrated (hybrid.prior)."""
        method = method_of(model)
        if self.hybrid.prior == "own":
            return model
        if method in SELFPLAY_START:
            return SELFPLAY_START[method]
        return "sft" if method == "rank-sft" and self.rank_sft.calibrated else model
