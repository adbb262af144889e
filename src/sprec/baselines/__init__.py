"""Non-LLM baselines: popularity (the accuracy floor and ORRatio ceiling of every table)."""
