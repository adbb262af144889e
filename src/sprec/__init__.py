"""sprec: LLM-based recommendation without the filter bubble (SPRec, WWW 2025, and beyond).

Python API, one stage per module (data -> prompts -> train -> recommend -> metrics -> report):
    from sprec.config import load_run_config
    from sprec.pipeline import run
    run(load_run_config("configs/quickstart.yaml"))
"""

__version__ = "0.1.0"
