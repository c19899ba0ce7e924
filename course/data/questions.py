"""Data of module 2 (questions). Filled in by the module; everything public is in __all__."""

__all__: list[str] = []
