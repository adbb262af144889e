"""Loading causal LMs (any Hugging Face id/path, or the embedded SmolLM2 GGUF), LoRA adapters, checkpoints."""
