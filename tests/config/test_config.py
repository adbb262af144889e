"""Every shipped config loads and explains itself; bad values name the field."""

import pytest

from sprec.config import DataConfig, RunConfig, from_dict, load_data_config, load_run_config
from sprec.errors import ConfigError
from tests.helpers import ROOT

CONFIGS = sorted((ROOT / "configs").rglob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_shipped_configs_load_and_open_with_a_comment(path):
    assert path.read_text().startswith("#"), "each config opens with its purpose and command"
    cfg = load_data_config(path) if path.parent.name == "data" else load_run_config(path)
    assert isinstance(cfg, DataConfig | RunConfig)


def test_errors_name_the_field():
    with pytest.raises(ConfigError, match=r"data: unknown key\(s\) \['colour'\]"):
        from_dict(DataConfig, {"name": "x", "source": "movielens", "path": "p", "colour": 1}, "data")
    with pytest.raises(ConfigError, match=r"data.prepare.k_core: expected int, got 'five'"):
        from_dict(DataConfig, {"name": "x", "source": "movielens", "path": "p", "prepare": {"k_core": "five"}}, "data")
    with pytest.raises(ConfigError, match=r"unknown source 'amazon'"):
        from_dict(DataConfig, {"name": "x", "source": "amazon"}, "data")
    with pytest.raises(ConfigError, match=r"methods: unknown \['gru4rec'\]"):
        from_dict(RunConfig, {"run_dir": "r", "data": {"name": "x", "source": "recbole", "path": "p"},
                              "methods": ["gru4rec"]})  # fmt: skip


def test_exclude_history_takes_a_bool_or_both():
    from sprec.config import EvalConfig

    assert from_dict(EvalConfig, {"exclude_history": "both"}).modes == [False, True]
    assert from_dict(EvalConfig, {"exclude_history": True}).modes == [True]
    assert not from_dict(EvalConfig, {"exclude_history": "both"}).generate_excluding
    with pytest.raises(ConfigError, match=r"eval.exclude_history: choose false, true or both, got 'yes'"):
        from_dict(EvalConfig, {"exclude_history": "yes"}, "eval")


def test_imported_prediction_paths_are_relative_to_the_config_file(tmp_path):
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "run.yaml").write_text(
        "run_dir: runs/x\ndata: {name: ml-100k, source: recbole, path: bundled:ml-100k}\nmethods: [popularity]\n"
        "imported: {theirs: ../elsewhere/preds.json, abs: /data/p.json}\n")
    cfg = load_run_config(tmp_path / "configs" / "run.yaml")
    assert cfg.imported == {"theirs": str(tmp_path / "configs" / "../elsewhere/preds.json"), "abs": "/data/p.json"}


def test_a_retriever_pool_is_checked_key_by_key():
    from sprec.config import HybridSettings

    assert from_dict(HybridSettings, {}).retrievers == ["sasrec", "itemknn"]
    assert from_dict(HybridSettings, {}).pool == "sasrec+itemknn"
    assert from_dict(HybridSettings, {"retriever": "itemknn"}).pool == "itemknn"
    bad = {"retriever": []}, {"retriever": ["sasrec", "bm25"]}, {"retriever": ["sasrec", "sasrec"]}, {"candidates": 1}
    messages = "an empty list", r"got \['bm25'\]", "named twice", "at least 2, got 1"
    for values, message in zip(bad, messages, strict=True):
        with pytest.raises(ConfigError, match=f"hybrid.(retriever|candidates)\\b.*{message}"):
            from_dict(HybridSettings, values, "hybrid")  # the key, then the problem
    data = {"name": "x", "source": "recbole", "path": "p"}
    with pytest.raises(ConfigError, match=r"hybrid.retriever: \['itemknn'\] not among the run's methods"):
        from_dict(RunConfig, {"run_dir": "r", "data": data, "methods": ["sasrec", "sft", "hybrid"]})
    from_dict(RunConfig, {"run_dir": "r", "data": data, "methods": ["sasrec", "itemknn"]})  # no hybrid: no pool


def test_a_self_play_row_is_calibrated_by_the_prior_of_the_model_it_started_from():
    data = {"name": "x", "source": "recbole", "path": "p"}
    cfg = from_dict(RunConfig, {"run_dir": "r", "data": data, "methods": ["sasrec", "itemknn", "sft"]})
    starts = {m: cfg.prior_model(m) for m in ("sft", "dpo", "sprec t=2", "sprec-hybrid t=1", "rank-sft",
                                               "sprec-rank t=2")}  # fmt: skip
    assert starts == {"sft": "sft", "dpo": "dpo", "sprec t=2": "sft", "sprec-hybrid t=1": "sft",
                      "rank-sft": "rank-sft", "sprec-rank t=2": "rank-sft"}  # fmt: skip
    calibrated = from_dict(RunConfig, {"run_dir": "r", "data": data, "methods": ["sft"],
                                       "rank_sft": {"calibrated": True}})  # fmt: skip
    assert calibrated.prior_model("rank-sft") == "sft"  # the prior it trained against
    own = from_dict(RunConfig, {"run_dir": "r", "data": data, "methods": ["sft"], "hybrid": {"prior": "own"}})
    assert own.prior_model("sprec-rank t=2") == "sprec-rank t=2"
    with pytest.raises(ConfigError, match="hybrid.prior: choose start or own, got 'base'"):
        from_dict(RunConfig, {"run_dir": "r", "data": data, "methods": ["sft"], "hybrid": {"prior": "base"}})
    as_evaluated = from_dict(RunConfig, {"run_dir": "r", "data": data, "methods": ["sft"],
                                         "sprec_rank": {"weight": None}})  # fmt: skip
    assert as_evaluated.sprec_rank.weight is None  # self-play ranks as the rank-sft row is evaluated
    with pytest.raises(ConfigError, match=r"sprec_rank.weight must be in \[0, 1\] or null, got 1.5"):
        from_dict(RunConfig, {"run_dir": "r", "data": data, "methods": ["sft"], "sprec_rank": {"weight": 1.5}})


def test_overrides_write_dotted_keys_and_are_checked_like_the_file():
    path = ROOT / "configs" / "quickstart.yaml"
    cfg = load_run_config(path, ["seeds=[0, 1, 2]", "model.dtype=float32", "hybrid.candidates=30"])
    assert (cfg.seeds, cfg.model.dtype, cfg.hybrid.candidates) == ([0, 1, 2], "float32", 30)
    assert load_run_config(path).model.dtype == "auto"  # the file itself is unchanged
    with pytest.raises(ConfigError, match=r"model: unknown key\(s\) \['dtyp'\]"):
        load_run_config(path, ["model.dtyp=float32"])
    with pytest.raises(ConfigError, match="must be KEY=VALUE"):
        load_run_config(path, ["seed"])
    with pytest.raises(ConfigError, match="seed is not a section"):
        load_run_config(path, ["seed.value=1"])
