"""The remote clients' HTTP layer: sans-I/O calls (``calls``) and httpx transports."""
