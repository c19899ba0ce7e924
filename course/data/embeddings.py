"""Data of module 1 (embeddings). Filled in by the module; everything public is in __all__."""

__all__: list[str] = []
