"""Offline by default: the hub's offline mode and no telemetry for sprec's own runs; an uncached model id fails at
once with how to fetch it."""

import os
import subprocess
import sys

import pytest
from huggingface_hub import constants

from sprec.config import ModelConfig
from sprec.errors import SprecError
from sprec.hub import require_local

PROBE = ("from sprec.hub import stay_offline; stay_offline(); "
         "import huggingface_hub.constants as k; print(k.HF_HUB_OFFLINE, k.HF_HUB_DISABLE_TELEMETRY)")  # fmt: skip


def _probe(hub_imported_first: bool, **env) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "SPREC_", "TRANSFORMERS_"))}
    code = ("import huggingface_hub.constants; " if hub_imported_first else "") + PROBE
    out = subprocess.run([sys.executable, "-c", code], env=clean | env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


@pytest.mark.parametrize("hub_imported_first", [False, True])
def test_runs_are_offline_without_telemetry_unless_downloads_are_asked_for(hub_imported_first):
    assert _probe(hub_imported_first) == "True True"
    assert _probe(hub_imported_first, SPREC_ALLOW_DOWNLOAD="1") == "False True"
    assert _probe(hub_imported_first, HF_HUB_OFFLINE="0") == "False True"  # the user's own setting is kept


def test_an_uncached_model_id_fails_at_once_saying_how_to_fetch_it(monkeypatch, tmp_path):
    from sprec.llm.model import load_tokenizer

    monkeypatch.delenv("SPREC_ALLOW_DOWNLOAD", raising=False)
    with pytest.raises(SprecError, match=r"'nobody/not-cached' is neither a local folder.*hf download nobody/"):
        load_tokenizer(ModelConfig(name="nobody/not-cached"))
    require_local(str(tmp_path), allow_download=False)  # a local folder is always fine
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    require_local("nobody/not-cached", allow_download=True)  # asked for: no refusal, and the hub is reachable
    assert constants.HF_HUB_OFFLINE is False and os.environ["HF_HUB_OFFLINE"] == "0"
