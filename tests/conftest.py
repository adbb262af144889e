from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def shared() -> Path:
    if not (SHARED / "data").is_dir():
        pytest.fail(f"../shared (real datasets and fixtures) must sit beside the project: {SHARED} not found")
    return SHARED


@pytest.fixture(scope="session")
def goodreads_dataset(shared, tmp_path_factory):
    from sprec.config import load_data_config
    from sprec.data.readers import prepare_dataset

    return prepare_dataset(load_data_config(ROOT / "configs/data/goodreads.yaml"), tmp_path_factory.mktemp("gr"))
