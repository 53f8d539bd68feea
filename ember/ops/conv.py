"""Convolutions (filled in by the conv/pool work)."""

__all__: list[str] = []
