"""Typed configs: the settings of each stage (sections), the run that holds them (run), the method lists
(methods), and YAML loading checked once (load). Everything is importable from `sprec.config`."""

from sprec.config.load import from_dict, load_data_config, load_run_config, load_yaml, resolve_paths
from sprec.config.methods import CLASSICAL, LLM_METHODS, METHODS, OFFLINE_PREFERENCE, RANKERS, classical_row
from sprec.config.run import EvalConfig, RunConfig
from sprec.config.sections import (
    CSV_COLUMNS,
    EMBEDDED_MODEL,
    SOURCES,
    D3Settings,
    DataConfig,
    DPOSettings,
    HybridSettings,
    ItemKNNSettings,
    LoraSettings,
    ModelConfig,
    PrepareSettings,
    RankSFTSettings,
    RecommendSettings,
    RerankSettings,
    SASRecSettings,
    SelfPlaySettings,
    SFTSettings,
    SPRecRankSettings,
    positive,
)

__all__ = [
    "CLASSICAL", "CSV_COLUMNS", "EMBEDDED_MODEL", "LLM_METHODS", "METHODS", "OFFLINE_PREFERENCE", "RANKERS",
    "SOURCES",
    "D3Settings", "DPOSettings", "DataConfig", "EvalConfig", "HybridSettings", "ItemKNNSettings", "LoraSettings",
    "ModelConfig", "PrepareSettings", "RankSFTSettings", "RecommendSettings", "RerankSettings", "RunConfig",
    "SASRecSettings", "SFTSettings", "SelfPlaySettings", "SPRecRankSettings", "classical_row", "from_dict",
    "load_data_config", "load_run_config", "load_yaml", "positive", "resolve_paths",
]  # fmt: skip
