"""Attention functionals (filled in by the sequence-models work)."""

__all__: list[str] = []
