"""Variable-length sequences: padding, packing (PackedSequence) and back.

A PackedSequence stores the steps of a batch of sequences, sorted by decreasing length, time
step after time step: ``data[offset_t : offset_t + batch_sizes[t]]`` are the rows still running
at step ``t``. The recurrent layers accept it directly.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ... import ops as E
from ..._tensor import Tensor

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpad_sequence",
    "pack_sequence",
    "unpack_sequence",
]


class _PackedSequenceBase(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedSequenceBase):
    """The packed steps of a batch of variable-length sequences (see ``pack_padded_sequence``).

    Example:
        >>> p = pack_sequence([ember.ones(3, 2), ember.ones(1, 2)])
        >>> p.batch_sizes
        tensor([2, 1, 1])
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # PackedSequence(*other_packed_sequence_fields)
            data, batch_sizes = data[0], data[1]
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data) -> PackedSequence:
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """Move or cast ``data`` (and move the indices with it); ``batch_sizes`` stays on CPU."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        idx = [
            None if i is None else i.to(data.device)
            for i in (self.sorted_indices, self.unsorted_indices)
        ]
        return type(self)(data, self.batch_sizes, *idx)

    def cuda(self, *args, **kwargs) -> PackedSequence:
        """A copy with ``data`` on the GPU."""
        return self.to(self.data.cuda(*args, **kwargs).device)

    def cpu(self) -> PackedSequence:
        """A copy with ``data`` on the CPU."""
        return self.to("cpu")

    def double(self) -> PackedSequence:
        """A copy with float64 ``data``."""
        return self._with_data(self.data.double())

    def float(self) -> PackedSequence:
        """A copy with float32 ``data``."""
        return self._with_data(self.data.float())

    def half(self) -> PackedSequence:
        """A copy with float16 ``data``."""
        return self._with_data(self.data.half())

    @property
    def is_cuda(self) -> bool:
        """Whether ``data`` lives on a GPU."""
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        """Whether ``data`` is in pinned host memory."""
        return self.data.is_pinned()


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The permutation that undoes ``permutation``.

    Example:
        >>> invert_permutation(ember.tensor([2, 0, 1]))
        tensor([1, 2, 0])
    """
    if permutation is None:
        return None
    return E.argsort(permutation)


def _lengths_array(lengths) -> np.ndarray:
    if isinstance(lengths, Tensor):
        if lengths.ndim != 1:
            raise RuntimeError(
                f"'lengths' argument should be a 1D CPU int64 tensor, but got "
                f"{lengths.ndim}D {lengths.device} {lengths.dtype} tensor"
            )
        return np.asarray(lengths.detach().cpu().numpy()).astype(np.int64)
    return np.asarray(list(lengths), dtype=np.int64).reshape(-1)


def _packed_rows(lengths: np.ndarray) -> np.ndarray:
    """Flat (t * B + b) positions of the packed rows in a (T, B) padded layout."""
    T = int(lengths.max())
    return np.flatnonzero(np.arange(T)[:, None] < lengths[None, :])


def _batch_sizes(lengths: np.ndarray) -> np.ndarray:
    T = int(lengths.max())
    return (lengths[None, :] > np.arange(T)[:, None]).sum(1).astype(np.int64)


def pack_padded_sequence(
    input: Tensor, lengths, batch_first: bool = False, enforce_sorted: bool = True
) -> PackedSequence:
    """Pack a padded batch ``input`` (T, B, *) of sequences with the given ``lengths``.

    Args:
        input: padded sequences, (T, B, *) or (B, T, *) with ``batch_first``.
        lengths: the length of each sequence (list or 1-d CPU tensor).
        enforce_sorted: require ``lengths`` in decreasing order; otherwise the batch is sorted
            here and the permutation is kept in ``sorted_indices``.

    Example:
        >>> x = ember.zeros(3, 2, 4)
        >>> pack_padded_sequence(x, [3, 1]).batch_sizes
        tensor([2, 1, 1])
    """
    lens = _lengths_array(lengths)
    if lens.shape[0] != input.shape[1 if not batch_first else 0]:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {lens.shape[0]} "
            f"(batch_size={input.shape[0 if batch_first else 1]})"
        )
    if enforce_sorted:
        if np.any(lens[1:] > lens[:-1]):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability."
            )
        sorted_indices = None
    else:
        order = np.argsort(-lens, kind="stable")
        lens = lens[order]
        sorted_indices = E.tensor(order, device=input.device)
    if lens.size and lens.min() <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an "
            "element in 'lengths' that is <= 0"
        )
    if batch_first:
        input = input.transpose(0, 1)
    if sorted_indices is not None:
        input = input[:, sorted_indices]
    if int(lens.max()) > input.shape[0]:
        raise RuntimeError(
            f"Expected sequence length to be larger than or equal to "
            f"{int(lens.max())}, but got {input.shape[0]}"
        )
    T, B = int(lens.max()), input.shape[1]
    flat = input[:T].reshape((T * B,) + tuple(input.shape[2:]))
    data = flat[E.tensor(_packed_rows(lens), device=input.device)]
    return PackedSequence(data, E.tensor(_batch_sizes(lens)), sorted_indices, None)


def _unpack_rows(sequence: PackedSequence, padding_value=0.0, total_length=None) -> Tensor:
    """The packed data as a (T, B, *) padded tensor, still in sorted batch order."""
    data = sequence.data
    bs = _lengths_array(sequence.batch_sizes)
    B, T = int(bs[0]), bs.shape[0]
    lens = (bs[None, :] > np.arange(B)[:, None]).sum(1)
    Tout = T if total_length is None else int(total_length)
    pos = np.full(Tout * B, data.shape[0], dtype=np.int64)
    pos[_packed_rows(lens)] = np.arange(data.shape[0])
    pad = E.full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)
    rows = E.cat([data, pad], 0)[E.tensor(pos, device=data.device)]
    return rows.reshape((Tout, B) + tuple(data.shape[1:])), lens


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
):
    """Undo ``pack_padded_sequence``: returns (padded, lengths), in the original batch order.

    Example:
        >>> p = pack_sequence([ember.ones(3), ember.ones(1)])
        >>> x, lengths = pad_packed_sequence(p)
        >>> x.shape, lengths
        (ember.Size([3, 2]), tensor([3, 1]))
    """
    T = int(sequence.batch_sizes.shape[0])
    if total_length is not None and total_length < T:
        raise ValueError(
            "Expected total_length to be at least the length of the longest sequence in input, "
            f"but got total_length={total_length} and max sequence length being {T}"
        )
    padded, lens = _unpack_rows(sequence, padding_value, total_length)
    lengths = E.tensor(lens)
    if sequence.unsorted_indices is not None:
        padded = padded[:, sequence.unsorted_indices]
        lengths = lengths[sequence.unsorted_indices.cpu()]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, lengths


def pad_sequence(
    sequences, batch_first: bool = False, padding_value: float = 0.0, padding_side: str = "right"
) -> Tensor:
    """Stack tensors of shape (L_i, *) into one (max L, B, *) tensor, padding the short ones.

    Example:
        >>> pad_sequence([ember.ones(3), ember.ones(1)], batch_first=True)
        tensor([[1., 1., 1.],
                [1., 0., 0.]])
    """
    if padding_side not in ("left", "right"):
        raise ValueError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    T = max(s.shape[0] for s in sequences)
    rows = []
    for s in sequences:
        n = T - s.shape[0]
        if n:
            fill = E.full((n,) + tuple(s.shape[1:]), padding_value, dtype=s.dtype, device=s.device)
            s = E.cat([s, fill] if padding_side == "right" else [fill, s], 0)
        rows.append(s)
    return E.stack(rows, 0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list:
    """Split a padded batch back into its sequences (the inverse of ``pad_sequence``).

    Example:
        >>> [s.shape for s in unpad_sequence(ember.zeros(3, 2), ember.tensor([3, 1]))]
        [ember.Size([3]), ember.Size([1])]
    """
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[i, :n] for i, n in enumerate(_lengths_array(lengths).tolist())]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of tensors (L_i, *) of different lengths.

    Example:
        >>> pack_sequence([ember.ones(2), ember.ones(1)]).data
        tensor([1., 1., 1.])
    """
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """Split a PackedSequence into its tensors (the inverse of ``pack_sequence``).

    Example:
        >>> [s.shape for s in unpack_sequence(pack_sequence([ember.ones(2), ember.ones(1)]))]
        [ember.Size([2]), ember.Size([1])]
    """
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
