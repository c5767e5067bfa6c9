"""Helpers that chromadb keeps under ``chromadb.utils`` (batching, embedding functions)."""
