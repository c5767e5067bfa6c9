"""API keys: storage (SQLite, DynamoDB), hashing, scopes, the authenticator and key admin.

Above the engine (the DynamoDB store shares the catalog's table), below the server.
"""
