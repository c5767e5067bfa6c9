"""Chroma's HTTP API v2 from the outside: its payloads and the remote clients' HTTP layer.

- ``payloads``: the request and response models of the HTTP API (pydantic), one home for both
  sides: the REST app (``server/``) parses and answers with them, the clients send them.
- ``calls`` (sans-I/O requests and replies), ``endpoint`` (URL, auth, retry policy) and
  ``transport`` (httpx, blocking and asyncio): what ``HttpClient`` and ``CloudClient`` run on.

It needs only the slim install (httpx, pydantic, numpy): it may import chromalake's shared
vocabulary (``errors``, ``types``, ``records``, ``config``) but never ``engine``, ``server``,
Lance, pyarrow or boto3 (import-linter checks it).
"""
