"""The embedded engine: catalog, Lance storage, filters and the Chroma semantics on top."""
