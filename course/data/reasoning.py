"""Data of module 4 (reasoning). Filled in by the module; everything public is in __all__."""

__all__: list[str] = []
