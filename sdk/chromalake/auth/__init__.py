"""API keys: storage (SQLite, DynamoDB), hashing, scopes, the authenticator and key admin.

Above the engine (the DynamoDB store shares the catalog's table), below the server: it may import
the engine's catalog, ``config``, ``errors`` and ``validation``, never the REST app, the clients,
``http`` or Lance (import-linter keeps the authorizer's zip function small).
"""
