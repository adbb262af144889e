"""The classical recommenders: popularity (the accuracy floor and ORRatio ceiling of every table), item-kNN over
transitions, SASRec, and each as a scorer of any rows (the retrievers of the two-stage system)."""
