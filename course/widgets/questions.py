"""Widgets of lecture 2 (questions). Everything public is in __all__."""

__all__: list[str] = []
