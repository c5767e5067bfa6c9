"""Helpers with chromadb's import paths: ``batch_utils``, ``embedding_functions``, ``results``.

Code written for chromadb imports these as ``chromadb.utils.*``; ``backup`` (collection export
and import) is chromalake's own. They work through the public client API, so they may import
``embeddings``, ``types``, ``minilm`` and the ``chromalake`` package itself, never the engine
or the server directly.
"""
