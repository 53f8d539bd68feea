"""Memory layouts, as ``torch.strided`` and friends. Every ember tensor is dense (``strided``);
the sparse layouts exist so that comparisons such as ``x.layout == torch.sparse_coo`` work."""

from __future__ import annotations


class layout:
    """A tensor memory layout; ember tensors always have ``ember.strided``.

    Example:
        >>> ember.zeros(2).layout
        ember.strided
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"ember.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


strided = layout("strided")
sparse_coo = layout("sparse_coo")
sparse_csr = layout("sparse_csr")
sparse_csc = layout("sparse_csc")
sparse_bsr = layout("sparse_bsr")
sparse_bsc = layout("sparse_bsc")
_ALL = {x.name: x for x in (strided, sparse_coo, sparse_csr, sparse_csc, sparse_bsr, sparse_bsc)}


def _by_name(name: str) -> layout:
    return _ALL[name]
