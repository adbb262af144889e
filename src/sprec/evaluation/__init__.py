"""Scoring top-K lists: the paper's metrics and more as pure functions (metrics), predictions files and their
evaluation (evaluate), and checks that flag a degenerate LLM model (health)."""
