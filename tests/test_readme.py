"""The README's Python API example runs as written and gives what the committed ML-100k baselines report."""

import json
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def api_example() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Python API", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_python_example_runs_and_item_knn_beats_popularity(tmp_path, monkeypatch, capsys):
    (tmp_path / "configs" / "data").mkdir(parents=True)
    shutil.copy(ROOT / "configs" / "data" / "ml-100k.yaml", tmp_path / "configs" / "data")
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(api_example(), "README.md", "exec"), scope)
    results = scope["results"]
    # docs/results/ml-100k-baselines (history excluded, 1,000 test rows): item-kNN 0.120, popularity 0.028
    assert round(results["itemknn"]["10"]["HR"], 4) == 0.12 and round(results["popularity"]["10"]["HR"], 4) == 0.028
    assert "### itemknn" in capsys.readouterr().out
    saved = json.loads((tmp_path / "runs" / "api" / "itemknn-test.json").read_text())
    assert saved["topk"] == scope["lists"]["itemknn"].tolist() and saved["method"] == "itemknn"


def test_the_readme_csv_config_is_a_valid_data_config():
    import yaml

    from sprec.config import DataConfig, from_dict

    section = (ROOT / "README.md").read_text().split("Your own log, for example", 1)[1]
    data = yaml.safe_load(re.search(r"```yaml\n(.*?)```", section, re.S).group(1))["data"]
    cfg = from_dict(DataConfig, data)
    assert cfg.source == "csv" and cfg.columns["item"] == "sku" and cfg.prepare.test_size == 1000
