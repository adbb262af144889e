"""Scoring top-K lists: the paper's metrics and more as pure functions (metrics), predictions files and their
evaluation (evaluate), and checks that flag a degenerate LLM model (health)."""

from sprec.evaluation.evaluate import evaluate_predictions, format_table, load_predictions, save_predictions

__all__ = ["evaluate_predictions", "format_table", "load_predictions", "save_predictions"]
