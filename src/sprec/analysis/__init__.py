"""What works on a finished run without training anything: re-evaluation in another history mode or at other
K (reevaluate), the relevance-diversity frontier (frontier), and the run's two-stage system for new rows
(two_stage)."""
