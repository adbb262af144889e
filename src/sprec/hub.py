"""sprec runs offline: no model hub at run time, no telemetry. Machines here (and many clusters) have no route to
the hub, where an uncached model id retries for over a minute before failing and TRL reports usage at every
trainer start. Downloads are allowed only when asked for: `model.allow_download: true` in a run config or
SPREC_ALLOW_DOWNLOAD=1 in the environment."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sprec.errors import SprecError

ALLOW_ENV = "SPREC_ALLOW_DOWNLOAD"


def downloads_allowed() -> bool:
    return os.environ.get(ALLOW_ENV, "").strip().lower() in ("1", "true", "yes")


def stay_offline() -> None:
    """Turn the hub's offline mode on (unless downloads are allowed or the user set HF_HUB_OFFLINE) and its
    telemetry off. The hub library reads these variables once, at import: when it is already imported, its
    constants are set too."""
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    if not downloads_allowed():
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        constants.HF_HUB_DISABLE_TELEMETRY = True
        constants.HF_HUB_OFFLINE = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")


def allow_downloads() -> None:
    """For a run whose config allows downloads: the hub is reachable again (telemetry stays off)."""
    os.environ["HF_HUB_OFFLINE"] = "0"
    from huggingface_hub import constants

    constants.HF_HUB_OFFLINE = False


def require_local(name: str, allow_download: bool) -> None:
    """A model given by hub id must be in the local Hugging Face cache unless downloads are allowed: fail at once
    with how to fetch it, instead of a minute of retries and a stack trace."""
    if Path(name).exists():
        return
    if allow_download or downloads_allowed():
        allow_downloads()
        return
    from huggingface_hub import try_to_load_from_cache
    from huggingface_hub.errors import HFValidationError

    try:
        if isinstance(try_to_load_from_cache(name, "config.json"), str):
            return
    except HFValidationError:  # a path that does not exist, not an id
        raise SprecError(f"model {name!r}: no such folder, and not a hub id (namespace/name). No network is used at "
                         "run time: give a local folder or a cached hub id") from None  # fmt: skip
    raise SprecError(f"model {name!r} is neither a local folder nor in the Hugging Face cache, and sprec does not "
                     f"download at run time: fetch it once with `hf download {name}` on a machine with network "
                     f"(or set `model.allow_download: true` in the config, or {ALLOW_ENV}=1)")  # fmt: skip
