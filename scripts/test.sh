#!/usr/bin/env bash
# Set up, lint and run the whole test suite (what CI runs). Needs ../shared beside the project.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/python -m pytest -q
