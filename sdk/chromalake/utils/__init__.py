"""Helpers with chromadb's import paths: ``batch_utils``, ``embedding_functions``."""
