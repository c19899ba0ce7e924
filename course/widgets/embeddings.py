"""Widgets of lecture 1 (embeddings). Everything public is in __all__."""

__all__: list[str] = []
