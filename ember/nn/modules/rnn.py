"""Recurrent layers: RNN, LSTM, GRU and their single-step cells, with PyTorch's parameters.

Parameter names, shapes and gate orders match PyTorch (``weight_ih_l0``, ``bias_hh_l1_reverse``,
``weight_hr_l0`` ...), so a PyTorch ``state_dict`` loads unchanged. The maths is in
``ember.nn._rnn``: one fused primitive per layer and direction (see its docstring).
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from ... import ops as E
from ..._tensor import Tensor
from .. import _rnn, init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence, _lengths_array, _packed_rows, _unpack_rows
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


class RNNBase(Module):
    """Base class of RNN, LSTM and GRU: parameters, checks and the layer/direction loop.

    Example:
        >>> RNNBase("LSTM", 4, 8).weight_ih_l0.shape
        ember.Size([32, 4])
    """

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if mode not in _rnn.MODES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        if (
            not isinstance(dropout, numbers.Number)
            or isinstance(dropout, bool)
            or not 0 <= dropout <= 1
        ):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the "
                "probability of an element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so "
                "non-zero dropout expects num_layers greater than 1, but got "
                f"dropout={dropout} and num_layers={num_layers}",
                stacklevel=2,
            )
        if not isinstance(hidden_size, int) or isinstance(hidden_size, bool):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections"
            )
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gate_size = _rnn._NGATES[mode] * hidden_size
        out_size = proj_size or hidden_size
        dirs = 2 if bidirectional else 1
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for d in range(dirs):
                in_size = input_size if layer == 0 else out_size * dirs
                shapes = [(gate_size, in_size), (gate_size, out_size)]
                names = ["weight_ih_l{}{}", "weight_hh_l{}{}"]
                if bias:
                    shapes += [(gate_size,), (gate_size,)]
                    names += ["bias_ih_l{}{}", "bias_hh_l{}{}"]
                if proj_size:
                    shapes.append((proj_size, hidden_size))
                    names.append("weight_hr_l{}{}")
                suffix = "_reverse" if d else ""
                names = [n.format(layer, suffix) for n in names]
                for name, shape in zip(names, shapes):
                    setattr(self, name, Parameter(E.empty(shape, device=device, dtype=dtype)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """A no-op kept for PyTorch compatibility (ember's weights need no flat buffer)."""

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        """The parameters of each layer and direction, as lists."""
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # -- forward ---------------------------------------------------------------------------------
    def _check_input(self, input: Tensor) -> None:
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected "
                f"{self.input_size}, got {input.shape[-1]}"
            )
        w = self.weight_ih_l0
        if input.dtype != w.dtype:
            name = "RNN" if self.mode.startswith("RNN") else self.mode
            raise ValueError(
                f"{name} input dtype ({input.dtype}) does not match weight dtype ({w.dtype}). "
                f"Convert input: input.to({w.dtype}), or convert model: model.to({input.dtype})"
            )

    def _run(self, x: Tensor, h0: Tensor, c0: Tensor | None, batch_sizes):
        """All layers and directions over the padded (T, B, F) input; returns (out, h_n, c_n)."""
        dirs = 2 if self.bidirectional else 1
        hs, cs = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                params = [getattr(self, n) for n in self._all_weights[k]]
                w_ih, w_hh = params[0], params[1]
                b_ih = b_hh = w_hr = None
                if self.bias:
                    b_ih, b_hh = params[2], params[3]
                if self.proj_size:
                    w_hr = params[-1]
                c0k = None if c0 is None else c0[k]
                res = _rnn.recurrence(
                    self.mode, x, w_ih, b_ih, b_hh, h0[k], c0k, w_hh, w_hr, bool(d), batch_sizes
                )
                outs.append(res[0])
                hs.append(res[1])
                if c0 is not None:
                    cs.append(res[2])
            x = outs[0] if dirs == 1 else E.cat(outs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                from .. import functional as F

                x = F.dropout(x, self.dropout, True)
        return x, E.stack(hs, 0), (E.stack(cs, 0) if c0 is not None else None)

    def _initial_state(self, hx, x: Tensor, unbatched: bool, sorted_indices):
        """(h0, c0) as (layers * dirs, B, size) tensors: checked ``hx`` or zeros."""
        is_lstm = self.mode == "LSTM"
        n = self.num_layers * (2 if self.bidirectional else 1)
        batch = x.shape[1]
        sizes = [(n, batch, self.proj_size or self.hidden_size), (n, batch, self.hidden_size)]
        if hx is None:
            states = [E.zeros(s, dtype=x.dtype, device=x.device) for s in sizes]
            return states[0], (states[1] if is_lstm else None)
        states = list(hx) if is_lstm else [hx]
        nd = 2 if unbatched else 3
        if any(h.ndim != nd for h in states):
            kind = "unbatched 2-D" if unbatched else "batched 3-D"
            got = ", ".join(f"{h.ndim}-D" for h in states)
            what = (
                f"hx and cx should also be {nd}-D but got ({got}) tensors"
                if is_lstm
                else (f"hx should also be {nd}-D but got {got} tensor")
            )
            raise RuntimeError(f"For {kind} input, {what}")
        if unbatched:
            states = [h.unsqueeze(1) for h in states]
        elif sorted_indices is not None:
            states = [h[:, sorted_indices] for h in states]
        for i, h in enumerate(states):
            if tuple(h.shape) != sizes[i]:
                which = f"hidden[{i}]" if is_lstm else "hidden"
                shown = sizes[i][::2] if unbatched else sizes[i]
                got = [h.shape[0], h.shape[2]] if unbatched else list(h.shape)
                raise RuntimeError(f"Expected {which} size {shown}, got {got}")
        return states[0], (states[1] if is_lstm else None)

    def forward(self, input, hx=None):
        """Run the layers over ``input``; see RNN, LSTM and GRU for shapes."""
        packed = isinstance(input, PackedSequence)
        if packed:
            data, batch_sizes, sorted_indices, unsorted_indices = input
            self._check_input(data)
            bs = _lengths_array(batch_sizes)
            x, _ = _unpack_rows(input)  # padded (T, B, F), batch in sorted order
            unbatched = False
        else:
            if input.ndim not in (2, 3):
                raise ValueError(
                    f"{self.mode.split('_')[0]}: Expected input to be 2D or 3D, "
                    f"got {input.ndim}D instead"
                )
            self._check_input(input)
            bs, sorted_indices, unsorted_indices = None, None, None
            unbatched = input.ndim == 2
            if unbatched:
                x = input.unsqueeze(1)
            else:
                x = input.transpose(0, 1) if self.batch_first else input
        if x.shape[0] == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        h0, c0 = self._initial_state(hx, x, unbatched, sorted_indices)
        out, h_n, c_n = self._run(x, h0, c0, None if bs is None else bs.tolist())
        if packed:
            rows = E.tensor(_rows_of(bs), device=out.device)
            out = out.reshape((-1, out.shape[2]))[rows]
            output = PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices)
            if unsorted_indices is not None:
                h_n = h_n[:, unsorted_indices]
                c_n = c_n[:, unsorted_indices] if c_n is not None else None
        elif unbatched:
            output = out.squeeze(1)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1) if c_n is not None else None
        else:
            output = out.transpose(0, 1) if self.batch_first else out
        return (output, (h_n, c_n)) if self.mode == "LSTM" else (output, h_n)


def _rows_of(batch_sizes):
    """Flat positions of a packed sequence's rows in its (T, B) padded layout."""
    B = int(batch_sizes[0])
    lens = (batch_sizes[None, :] > np.arange(B)[:, None]).sum(1)
    return _packed_rows(lens)


class RNN(RNNBase):
    """Multi-layer Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``.

    Args:
        input_size, hidden_size, num_layers: sizes; ``nonlinearity``: 'tanh' or 'relu'.
        bias, batch_first, dropout, bidirectional: as in PyTorch.

    Shape:
        input (L, N, H_in) (or (N, L, H_in) with batch_first, or (L, H_in)), or a PackedSequence;
        h_0 (D * num_layers, N, H_out). Returns (output, h_n).

    Example:
        >>> rnn = ember.nn.RNN(10, 20, 2)
        >>> out, h = rnn(ember.randn(5, 3, 10))
        >>> out.shape, h.shape
        (ember.Size([5, 3, 20]), ember.Size([2, 3, 20]))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device=None,
        dtype=None,
        proj_size: int = 0,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        self.nonlinearity = nonlinearity
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(
            mode,
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            proj_size,  # only LSTM supports it: RNNBase raises PyTorch's ValueError
            device=device,
            dtype=dtype,
        )


class LSTM(RNNBase):
    """Multi-layer long short-term memory (LSTM), optionally with projections (``proj_size``).

    Gates in PyTorch's order (input, forget, cell, output) in ``weight_ih_l{k}`` (4*H, H_in).

    Shape:
        input (L, N, H_in) (or (N, L, H_in) with batch_first, or (L, H_in)), or a PackedSequence;
        (h_0, c_0) of shapes (D * num_layers, N, H_out) and (D * num_layers, N, H_cell).
        Returns (output, (h_n, c_n)).

    Example:
        >>> lstm = ember.nn.LSTM(10, 20, 2)
        >>> out, (h, c) = lstm(ember.randn(5, 3, 10))
        >>> out.shape, c.shape
        (ember.Size([5, 3, 20]), ember.Size([2, 3, 20]))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            "LSTM",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            proj_size,
            device,
            dtype,
        )


class GRU(RNNBase):
    """Multi-layer gated recurrent unit (GRU), gates in PyTorch's order (reset, update, new).

    Shape:
        input (L, N, H_in) (or (N, L, H_in) with batch_first, or (L, H_in)), or a PackedSequence;
        h_0 (D * num_layers, N, H_out). Returns (output, h_n).

    Example:
        >>> gru = ember.nn.GRU(10, 20)
        >>> out, h = gru(ember.randn(5, 3, 10))
        >>> h.shape
        ember.Size([1, 3, 20])
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device=None,
        dtype=None,
        proj_size: int = 0,
    ) -> None:
        super().__init__(
            "GRU",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            proj_size,  # only LSTM supports it: RNNBase raises PyTorch's ValueError
            device=device,
            dtype=dtype,
        )


# -- cells ------------------------------------------------------------------------------------


class RNNCellBase(Module):
    """Base class of the single-step cells: parameters ``weight_ih``, ``weight_hh``, biases.

    Example:
        >>> RNNCellBase(4, 8, True, 4).weight_ih.shape
        ember.Size([32, 4])
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        num_chunks: int,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        g = num_chunks * hidden_size
        self.weight_ih = Parameter(E.empty((g, input_size), device=device, dtype=dtype))
        self.weight_hh = Parameter(E.empty((g, hidden_size), device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(E.empty((g,), device=device, dtype=dtype))
            self.bias_hh = Parameter(E.empty((g,), device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nl = getattr(self, "nonlinearity", "tanh")
        if nl != "tanh":
            s += f", nonlinearity={nl}"
        return s

    def _prepare(self, input: Tensor, hx, n_states: int):
        """Check shapes, add a batch dim to unbatched input; returns (x, states, unbatched)."""
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        unbatched = input.ndim == 1
        x = input.unsqueeze(0) if unbatched else input
        if x.shape[1] != self.input_size:
            raise RuntimeError(
                f"input has inconsistent input_size: got {x.shape[1]} expected {self.input_size}"
            )
        if hx is None:
            z = E.zeros((x.shape[0], self.hidden_size), dtype=x.dtype, device=x.device)
            return x, [z] * n_states, unbatched
        states = list(hx) if n_states == 2 else [hx]
        for i, h in enumerate(states):
            if h.ndim != input.ndim:
                raise RuntimeError(
                    f"{name}: Expected hidden to be {input.ndim}D, got {h.ndim}D instead"
                    if n_states == 1
                    else f"{name}: Expected hx[{i}] to be {input.ndim}D, got {h.ndim}D instead"
                )
            h = h.unsqueeze(0) if unbatched else h
            if h.shape[0] != x.shape[0]:
                raise RuntimeError(
                    f"Input batch size {x.shape[0]} doesn't match hidden{i} batch size {h.shape[0]}"
                )
            if h.shape[1] != self.hidden_size:
                raise RuntimeError(
                    f"hidden{i} has inconsistent hidden_size: got {h.shape[1]}, "
                    f"expected {self.hidden_size}"
                )
            states[i] = h
        return x, states, unbatched

    def _step(self, mode: str, x: Tensor, h: Tensor, c: Tensor | None = None) -> tuple:
        """One step through the fused kernel (a sequence of length 1): faster than the cell
        maths as separate ops, and still twice differentiable (NOTE [ RNN double backward ])."""
        w_ih, b_ih, b_hh = self.weight_ih, self.bias_ih, self.bias_hh
        return _rnn.recurrence(mode, x.unsqueeze(0), w_ih, b_ih, b_hh, h, c, self.weight_hh)[1:]


class RNNCell(RNNCellBase):
    """One Elman RNN step: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu).

    Shape:
        input (N, H_in) or (H_in); hidden (N, H) or (H). Returns h'.

    Example:
        >>> cell = ember.nn.RNNCell(10, 20)
        >>> cell(ember.randn(3, 10)).shape
        ember.Size([3, 20])
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device=None,
        dtype=None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, (h,), unbatched = self._prepare(input, hx, 1)
        (h,) = self._step("RNN_RELU" if self.nonlinearity == "relu" else "RNN_TANH", x, h)
        return h.squeeze(0) if unbatched else h


class LSTMCell(RNNCellBase):
    """One LSTM step; returns ``(h', c')``.

    Shape:
        input (N, H_in) or (H_in); (h, c) each (N, H) or (H).

    Example:
        >>> cell = ember.nn.LSTMCell(10, 20)
        >>> h, c = cell(ember.randn(3, 10))
        >>> c.shape
        ember.Size([3, 20])
    """

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx=None) -> tuple:
        x, (h, c), unbatched = self._prepare(input, hx, 2)
        h, c = self._step("LSTM", x, h, c)
        return (h.squeeze(0), c.squeeze(0)) if unbatched else (h, c)


class GRUCell(RNNCellBase):
    """One GRU step; returns h'.

    Shape:
        input (N, H_in) or (H_in); hidden (N, H) or (H).

    Example:
        >>> cell = ember.nn.GRUCell(10, 20)
        >>> cell(ember.randn(3, 10)).shape
        ember.Size([3, 20])
    """

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, (h,), unbatched = self._prepare(input, hx, 1)
        (h,) = self._step("GRU", x, h)
        return h.squeeze(0) if unbatched else h
