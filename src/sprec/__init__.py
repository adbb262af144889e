"""sprec: LLM-based recommendation without the filter bubble (SPRec, WWW 2025, and beyond).

Python API, one stage per module (data -> prompts -> train -> recommend -> metrics -> report):
    from sprec.config import load_run_config
    from sprec.pipeline import run
    run(load_run_config("configs/quickstart.yaml"))

Stages on their own: sprec.data.readers.prepare_dataset (raw public data -> Dataset); sprec.baselines
(popularity, itemknn.ItemKNN, sasrec.train_sasrec, rerank); sprec.prompts.Prompter (the one template);
sprec.train.sft.train_sft, sprec.train.dpo.train_dpo, sprec.train.selfplay.selfplay_iterations (LoRA adapters);
sprec.recommend / sprec.rank / sprec.hybrid (an adapter's lists, candidate scores, fusion);
sprec.evaluation.evaluate.evaluate_predictions (every metric of top-K lists); sprec.report (tables and plots of a run).
The README's "Python API" section runs the classical baselines and the metrics in a few lines.
"""

__version__ = "0.1.0"
