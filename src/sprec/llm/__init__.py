"""The LLM recommender: loading any causal LM (or the embedded SmolLM2 GGUF) with LoRA (model), the one prompt
template (prompts), answer log-probabilities (logprobs, trie_logps), trie decoding (decoding), grounding text
in the catalog (grounding), generating top-K lists (generate) and scoring a retriever's candidates (scoring)."""
