"""Widgets of lecture 3 (seq2seq). Everything public is in __all__."""

__all__: list[str] = []
