"""The embedded engine: catalog, Lance storage, filters and the Chroma semantics on top.

- The face: ``engine`` (``Engine``: the records, over ``catalog_engine``'s tenants,
  databases and collections), ``factory`` (Settings -> engine).
- Writes and their companions: ``writes`` (update and upsert's read-merge-write), ``forks``
  (forks, versions, time travel), ``maintenance`` + ``policy`` (compaction, index builds,
  version cleanup, and when they run).
- Reads: ``filters`` (where clauses -> Lance SQL), ``nearest`` (exact search), ``ann`` +
  ``indexes`` (the Lance IVF index path), ``vector_index`` + ``warm_index`` (in-process
  faiss indexes of warm collections) + ``stored_index`` (those indexes stored by
  maintenance), ``snapshot`` (the rows a process holds), ``searching`` + ``ranking`` +
  ``sparse`` (the Search API's executor).
- Storage: ``catalog/`` (memory, SQLite, DynamoDB), ``store`` (Lance datasets) with
  ``lance_calls`` (errors, commit retries), ``table_indexes`` (the indexes and their
  coverage), ``table_versions`` (versions, fork tags, clones) and ``dataset_files`` (the
  orphan sweep's listing); ``columns`` + ``metadata_columns`` + ``rows`` (the Arrow schema
  and records <-> rows), ``paths`` (where datasets live), ``mirror`` + ``manifest`` (local
  copies of S3 datasets for reads).

The bottom layer: it may import the shared vocabulary (``errors``, ``types``, ``records``,
``config``, ``collection_config``, ``schema_rules``, ``validation``, ``search``), never
``api``, ``http``, ``server``, ``auth`` or ``cli`` (import-linter's contracts in
pyproject.toml).
"""
