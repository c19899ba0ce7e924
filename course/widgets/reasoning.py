"""Widgets of lecture 4 (reasoning). Everything public is in __all__."""

__all__: list[str] = []
