"""sprec: LLM-based recommendation without the filter bubble (SPRec, WWW 2025, and beyond).

The package folders are the stages, data flowing one way (README "Layout"). A whole experiment:
    from sprec.config import load_run_config
    from sprec.experiment.pipeline import run
    run(load_run_config("configs/quickstart.yaml"))
The README's "Python API" section runs the classical baselines and the metrics in a few lines.
"""

__version__ = "0.1.0"
