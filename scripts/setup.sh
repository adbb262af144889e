#!/usr/bin/env bash
# Set up .venv with sprec and everything it needs on this kind of machine (CPU, PyPI only). Idempotent.
# GPU users: see README "Installing on a GPU machine".
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
pip() { .venv/bin/python -m pip --disable-pip-version-check -q "$@"; }
pip install -e ".[test]"
# Packages used for the files they ship, not their code: their own dependencies are not needed.
pip install --no-deps "recbole==1.2.1"   # ml-100k as RecBole atomic files: the default dataset
.venv/bin/python -c "import sprec, numpy, yaml; import importlib.util as u; assert u.find_spec('recbole')"
