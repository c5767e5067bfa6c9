"""The Search API's shared vocabulary, the one both ends of ``Collection.search`` speak.

- ``builder``: the objects users build a search with (``Search``, ``K``, ``Knn``, ``Rrf``...,
  exported at ``chromalake``'s top level as chromadb exports them) and ``SearchResult``.
- ``payload``: the parser of Chroma's ``SearchPayload`` into typed, checked values, run by the
  REST route and by the engine (embedded clients) alike.
- ``words``: serde's words for JSON values, shared by the parser and the server's 422 messages.

The engine's executor lives in ``engine/searching.py`` and ``engine/ranking.py``, the clients'
glue in ``api/searches.py``. This package is pure (the standard library only): any layer may
import it, and it imports nothing else of chromalake. Its ``__init__`` imports nothing, so
the engine's use of ``payload`` does not load the builder.
"""
