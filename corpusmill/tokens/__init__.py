"""Tokenizers that work offline: OpenAI BPE from wheel-shipped rank files, local HF tokenizer.json, whitespace."""
from corpusmill.tokens.tokenizer import Tokenizer, load_tokenizer

__all__ = ["Tokenizer", "load_tokenizer"]
