"""Helpers with chromadb's import paths (``chromalake.utils.embedding_functions``)."""
