"""Training stages: SFT (this issue), DPO / S-DPO and the SPRec self-play loop (next ones)."""
