"""Training an LLM recommender: SFT (sft), DPO / S-DPO / DMPO (dpo) and the SPRec self-play loop (selfplay), with
their losses as pure functions (losses), the answer-only fast step (fast) and resumable checkpoints."""
