"""Data of module 3 (seq2seq). Filled in by the module; everything public is in __all__."""

__all__: list[str] = []
