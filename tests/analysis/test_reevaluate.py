"""`sprec evaluate --run`: a finished run's stored lists evaluated again, without regenerating anything."""

from pathlib import Path

from sprec.analysis.reevaluate import evaluate_run


def test_stored_lists_evaluate_again_as_they_are_and_with_history_excluded(finished_run):
    cfg, rows = finished_run
    same, _ = evaluate_run(Path(cfg.run_dir), False, [1, 2])
    assert same["popularity"] == rows["popularity"] and same["sft (embedding)"] == rows["sft (embedding)"]
    excluded, notes = evaluate_run(Path(cfg.run_dir), True, [1, 2])
    assert {"popularity", "itemknn", "sft (embedding)"} <= set(excluded)  # SFT grounded again from its texts
    assert all("left out" in n for n in notes)
