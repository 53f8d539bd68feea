"""Recurrent layers as functions: fused whole-sequence kernels and the per-step cell maths.

One recurrent layer (one direction) runs as a single primitive, ``Recurrence``, whose input is
the input projection for all time steps (``x @ w_ih.T + bias``, one matrix product done outside
with ember ops). Its forward and backward loop over time on raw arrays, so each step costs a few
array calls instead of a graph of small Tensor ops. See NOTE [ RNN double backward ].

Gate orders follow PyTorch: LSTM (i, f, g, o), GRU (r, z, n).

Variable lengths (PackedSequence) run on the padded (T, B, *) layout with ``batch_sizes``: at step
``t`` only the first ``batch_sizes[t]`` rows (the batch is sorted by decreasing length) advance;
the others keep their state, which is what makes h_n each sequence's last state.
"""

from __future__ import annotations

import numpy as np

from .. import ops as E
from .._tensor import _make
from ..autograd.function import Primitive
from ..autograd.grad_mode import state
from ..backend import xp_of

MODES = ("RNN_TANH", "RNN_RELU", "LSTM", "GRU")
_NGATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _order(T, reverse):
    return range(T - 1, -1, -1) if reverse else range(T)


def _sizes(batch_sizes, T, B):
    return [B] * T if batch_sizes is None else [int(b) for b in batch_sizes]


# -- forward kernels (arrays in, arrays out; ``sv`` collects what backward needs) -----------------


def _lstm_fwd(xw, b_x, h0, c0, w_hh, w_hr, sizes, reverse, packed):
    xp = xp_of(xw)
    T, B, G = xw.shape
    H = G // 4
    P = h0.shape[1]
    # NOTE [ LSTM gates by exp ]: every gate is 1 / (1 + exp(s * z)) with s = -1 (sigmoid) or
    # s = -2 for the cell gate, whose tanh(z) = 2 * sigmoid(2z) - 1: one exp call per step
    # (cheaper than tanh) and ``s`` folded into the weights once.
    # NOTE [ LSTM gate-major layout ]: the kernels keep the gates as (T, G, B) and the states as
    # (H, B) / (P, B), so each gate slice is a contiguous (H, B) block, and the recurrence GEMMs
    # are ``W_s @ h`` (forward) and ``w_hh.T @ dG_t`` (backward): OpenBLAS splits their 512 / 128
    # rows over its threads instead of the batch's 20 (W6: 29-32 vs 41-45 us a GEMM). The
    # contiguous blocks also let backward fold dG's gradient-free factors in all steps at once
    # (see _lstm_bwd). Inputs and outputs keep the callers' (T, B, *) layouts: the kernels
    # transpose xw, the output, dout and dG once per call (~0.5 ms in W6). Packed steps advance
    # the first n columns. W6 step: 9.2 / 10.0 ms vs 10.2 / 11.7 ms before (min / median of 60
    # interleaved 10-step blocks).
    s = xp.full(G, -1, xw.dtype)
    s[2 * H : 3 * H] = -2
    # Y starts as the scaled input projection and becomes the gate activations step by step
    # (one big array fewer: fresh big arrays cost page faults on every call).
    # (G, B) factors, not (G, 1) columns: broadcasting a column runs B-long inner loops.
    Y = xp.empty((T, G, B), xw.dtype)
    np.multiply(xw.transpose(0, 2, 1), s[:, None].repeat(B, 1), out=Y)
    if b_x is not None:
        Y += (s * b_x)[:, None].repeat(B, 1)
    ws = w_hh * s[:, None]
    new = xp.zeros if packed else xp.empty
    C = new((T, H, B), xw.dtype)
    TC = new((T, H, B), xw.dtype)
    HH = new((T, H, B), xw.dtype) if w_hr is not None else None
    outT = new((T, P, B), xw.dtype)
    # Packed input keeps its states in buffers (finished columns must keep theirs) and saves
    # each step's previous state; otherwise the previous state is simply the last step's output.
    Hp = new((T, P, B), xw.dtype) if packed else None
    Cp = new((T, H, B), xw.dtype) if packed else None
    h, c = (h0.T.copy(), c0.T.copy()) if packed else (h0.T, c0.T)
    ig = xp.empty((H, B), xw.dtype)
    hw = xp.empty((G, B), xw.dtype)
    num = (-s)[:, None].repeat(B, 1)
    with np.errstate(over="ignore"):
        for t in _order(T, reverse):
            n = sizes[t]
            if packed:
                hp, cp = Hp[t, :, :n], Cp[t, :, :n]
                hp[...] = h[:, :n]
                cp[...] = c[:, :n]
                y, hwn, numn, ign = Y[t, :, :n], hw[:, :n], num[:, :n], ig[:, :n]
                cn, tc, o = C[t, :, :n], TC[t, :, :n], outT[t, :, :n]
            else:  # whole columns: plain [t] views cost a third of the [t, :, :n] ones
                hp, cp = h, c
                y, hwn, numn, ign, cn, tc, o = Y[t], hw, num, ig, C[t], TC[t], outT[t]
            np.matmul(ws, hp, out=hwn)
            y += hwn
            np.exp(y, out=y)
            y += 1
            np.divide(numn, y, out=y)  # 1 / (1 + e), or 2 / (1 + e) for the cell gate
            g = y[2 * H : 3 * H]
            g -= 1
            np.multiply(y[H : 2 * H], cp, out=cn)
            np.multiply(y[:H], g, out=ign)
            cn += ign
            np.tanh(cn, out=tc)
            if w_hr is None:
                np.multiply(y[3 * H :], tc, out=o)
            else:
                hh = HH[t, :, :n]
                np.multiply(y[3 * H :], tc, out=hh)
                np.matmul(w_hr, hh, out=o)
            if packed:
                h[:, :n] = o
                c[:, :n] = cn
            else:
                h, c = o, cn
    if packed:
        for t, n in enumerate(sizes):
            Y[t, :, n:] = 0  # finished columns: no gates, so no gradient in backward
    out = xp.ascontiguousarray(outT.transpose(0, 2, 1))
    return out, h.T.copy(), c.T.copy(), (Y, C, TC, HH, Hp, Cp)


def _gru_fwd(xw, h0, w_hh, b_hh, sizes, reverse, packed):
    xp = xp_of(xw)
    T, B, G = xw.shape
    H = G // 3
    new = xp.zeros if packed else xp.empty
    Y = new((T, B, G), xw.dtype)
    HWn = new((T, B, H), xw.dtype)
    Hp = new((T, B, H), xw.dtype)
    out = new((T, B, H), xw.dtype)
    hw = xp.empty((B, G), xw.dtype)
    h = h0.copy()
    whh_t = w_hh.T
    for t in _order(T, reverse):
        n = sizes[t]
        y, hp, w = Y[t, :n], Hp[t, :n], hw[:n]
        hp[...] = h[:n]
        np.matmul(hp, whh_t, out=w)
        if b_hh is not None:
            w += b_hh
        rz = y[:, : 2 * H]
        np.add(xw[t, :n, : 2 * H], w[:, : 2 * H], out=rz)
        rz *= 0.5
        np.tanh(rz, out=rz)
        rz *= 0.5
        rz += 0.5
        HWn[t, :n] = w[:, 2 * H :]
        g = y[:, 2 * H :]
        np.multiply(y[:, :H], w[:, 2 * H :], out=g)
        g += xw[t, :n, 2 * H :]
        np.tanh(g, out=g)
        o = out[t, :n]
        np.subtract(hp, g, out=o)
        o *= y[:, H : 2 * H]
        o += g
        h[:n] = o
    return out, h, (Y, HWn, Hp)


def _rnn_fwd(xw, h0, w_hh, relu, sizes, reverse, packed):
    xp = xp_of(xw)
    T, B, H = xw.shape
    new = xp.zeros if packed else xp.empty
    Hp = new((T, B, H), xw.dtype)
    out = new((T, B, H), xw.dtype)
    h = h0.copy()
    whh_t = w_hh.T
    for t in _order(T, reverse):
        n = sizes[t]
        hp, o = Hp[t, :n], out[t, :n]
        hp[...] = h[:n]
        np.matmul(hp, whh_t, out=o)
        o += xw[t, :n]
        if relu:
            np.maximum(o, 0, out=o)
        else:
            np.tanh(o, out=o)
        h[:n] = o
    return out, h, (Hp,)


# -- backward kernels -------------------------------------------------------------------------


def _hh_weight_grad(dG, Hp, out, h0, reverse, packed):
    """sum over t of dG[t]^T h_{t-1}; on unpacked input h_{t-1} is the shifted output."""
    G = dG.shape[-1]
    if packed:
        return dG.reshape(-1, G).T @ Hp.reshape(-1, Hp.shape[-1])
    first, rest, prev = (
        (-1, slice(None, -1), slice(1, None)) if reverse else (0, slice(1, None), slice(None, -1))
    )
    w = dG[first].T @ h0
    if dG.shape[0] > 1:
        w += dG[rest].reshape(-1, G).T @ out[prev].reshape(-1, out.shape[-1])
    return w


def _lstm_bwd(sv, h0, c0, out, w_hh, w_hr, dout, dhn, dcn, sizes, reverse, packed):
    # Gate-major like the forward (NOTE [ LSTM gate-major layout ]): dG per step is a (G, B)
    # block, states (H, B) / (P, B); dG goes back to the callers as (T, B, G).
    xp = xp_of(dout)
    Y, C, TC, HH, Hp, Cp = sv
    T, G, B = Y.shape
    H = G // 4
    alpha = xp.ones((G, B), Y.dtype)
    alpha[2 * H : 3 * H] = 0
    # d(activation)/d(pre-activation) for every gate, all steps at once: y(1-y) or 1-y^2.
    # In-place steps: fresh big temporaries cost page faults on every call.
    # It becomes the gates' gradient dG step by step, so no second big array is needed.
    D = alpha - Y
    D *= Y
    D[:, 2 * H : 3 * H] += 1
    # The factors of dG that do not depend on the incoming gradient, also all steps at once:
    # dG_i = dc * g, dG_f = dc * c_{t-1}, dG_g = dc * i, dG_o = dh * tanh(c_t) (times D).
    # Per step this leaves one product with dc over the contiguous (i, f, g) block and one
    # with dh over the o block.
    D4, Y4 = D.reshape(T, 4, H, B), Y.reshape(T, 4, H, B)
    D4[:, 0] *= Y4[:, 2]
    D4[:, 2] *= Y4[:, 0]
    D4[:, 3] *= TC
    if packed:
        D4[:, 1] *= Cp
        for t, n in enumerate(sizes):
            D[t, :, n:] = 0
    else:
        first, rest, prev = (
            (-1, slice(None, -1), slice(1, None))
            if reverse
            else (0, slice(1, None), slice(None, -1))
        )
        D4[first, 1] *= c0.T
        D4[rest, 1] *= C[prev]
    OD = TC * TC  # d h_t / d c_t = o_t * tanh'(c_t)
    np.subtract(1, OD, out=OD)
    OD *= Y4[:, 3]
    doutT = xp.ascontiguousarray(dout.transpose(0, 2, 1))
    DH = xp.zeros(doutT.shape, dout.dtype) if w_hr is not None else None
    dh = dhn.T.copy()
    dc = dcn.T.copy()
    w_hh_t = w_hh.T
    w_hr_t = w_hr.T if w_hr is not None else None
    tmp = xp.empty((H, B), Y.dtype)
    for t in reversed(_order(T, reverse)):
        n = sizes[t]
        dht, dct = dh[:, :n], dc[:, :n]
        dht += doutT[t, :, :n]
        if w_hr is None:
            dhh = dht
        else:
            DH[t, :, :n] = dht
            dhh = w_hr_t @ dht
        np.multiply(dhh, OD[t, :, :n], out=tmp[:, :n])
        dct += tmp[:, :n]
        D4[t, :3, :, :n] *= dct
        D4[t, 3, :, :n] *= dhh
        dct *= Y4[t, 1, :, :n]
        np.matmul(w_hh_t, D[t, :, :n], out=dht)
    dG = xp.ascontiguousarray(D.transpose(0, 2, 1))
    HpT = Hp.transpose(0, 2, 1) if packed else None
    dw_hh = _hh_weight_grad(dG, HpT, out, h0, reverse, packed)
    dw_hr = xp.tensordot(DH, HH, ((0, 2), (0, 2))) if w_hr is not None else None
    return dG, dh.T.copy(), dc.T.copy(), dw_hh, dw_hr


def _gru_bwd(sv, w_hh, dout, dhn, sizes, reverse):
    xp = xp_of(dout)
    Y, HWn, Hp = sv
    T, B, G = Y.shape
    H = G // 3
    D = Y * (1 - Y)
    D[..., 2 * H :] = 1 - Y[..., 2 * H :] * Y[..., 2 * H :]
    dX = xp.zeros((T, B, G), Y.dtype)
    dHW = xp.zeros((T, B, G), Y.dtype)
    dh = dhn.copy()
    for t in reversed(_order(T, reverse)):
        n = sizes[t]
        dht = dh[:n]
        dht += dout[t, :n]
        y, dx, dw = Y[t, :n], dX[t, :n], dHW[t, :n]
        z = y[:, H : 2 * H]
        dhz = dht * z
        np.subtract(dht, dhz, out=dx[:, 2 * H :])
        np.subtract(Hp[t, :n], y[:, 2 * H :], out=dx[:, H : 2 * H])
        dx[:, H : 2 * H] *= dht
        dx *= D[t, :n]
        np.multiply(dx[:, 2 * H :], y[:, :H], out=dw[:, 2 * H :])
        np.multiply(dx[:, 2 * H :], HWn[t, :n], out=dx[:, :H])
        dx[:, :H] *= D[t, :n, :H]
        dw[:, : 2 * H] = dx[:, : 2 * H]
        np.matmul(dw, w_hh, out=dht)
        dht += dhz
    dw_hh = dHW.reshape(-1, G).T @ Hp.reshape(-1, H)
    return dX, dh, dw_hh, dHW.sum((0, 1))


def _rnn_bwd(sv, out, w_hh, relu, dout, dhn, sizes, reverse, packed):
    xp = xp_of(dout)
    (Hp,) = sv
    T, B, H = out.shape
    D = (out > 0).astype(out.dtype) if relu else 1 - out * out
    dX = (xp.zeros if packed else xp.empty)((T, B, H), out.dtype)
    dh = dhn.copy()
    for t in reversed(_order(T, reverse)):
        n = sizes[t]
        dht, dx = dh[:n], dX[t, :n]
        dht += dout[t, :n]
        np.multiply(dht, D[t, :n], out=dx)
        np.matmul(dx, w_hh, out=dht)
    return dX, dh, dX.reshape(-1, H).T @ Hp.reshape(-1, H)


# NOTE [ RNN double backward ]
# The fused kernel's backward runs on arrays, which is fast but not differentiable. When a
# second derivative is asked for (backward with create_graph=True), Recurrence.backward instead
# re-runs the layer with the per-step cell composites below and differentiates that graph with
# create_graph=True, so double backward gives the right numbers at the composite's speed.


class Recurrence(Primitive):
    """One direction of one recurrent layer over a whole (padded) sequence.

    Inputs: ``xw`` (T, B, G) the input projection ``x @ w_ih.T``, ``b_x`` (G,) or None the bias
    added to it, ``h0`` (B, P), ``c0`` (B, H) or None, ``w_hh`` (G, P), ``w_hr`` (P, H) or None,
    ``b_hh`` (G,) (GRU only, since its n-gate bias sits inside ``r * (...)``; the other modes
    fold it into ``b_x``), then ``mode``, ``reverse``, ``batch_sizes``.
    Outputs: the per-step outputs (T, B, P), h_n (B, P) and, for LSTM, c_n (B, H).
    """

    @staticmethod
    def forward(ctx, xw, b_x, h0, c0, w_hh, w_hr, b_hh, mode, reverse, batch_sizes):
        T, B = xw.shape[:2]
        sizes = _sizes(batch_sizes, T, B)
        packed = batch_sizes is not None
        if mode == "LSTM":
            out, h, c, sv = _lstm_fwd(xw, b_x, h0, c0, w_hh, w_hr, sizes, reverse, packed)
        else:
            xb = xw if b_x is None else xw + b_x
            if mode == "GRU":
                out, h, sv = _gru_fwd(xb, h0, w_hh, b_hh, sizes, reverse, packed)
            else:
                out, h, sv = _rnn_fwd(xb, h0, w_hh, mode == "RNN_RELU", sizes, reverse, packed)
        if any(ctx.needs_input_grad):
            ctx.cfg = (mode, reverse, batch_sizes, sizes, packed)
            # The kernel's intermediates ride along as saved constants, so the engine frees
            # them with the graph (and keeps them when retain_graph=True).
            ctx.save_for_backward(xw, b_x, h0, c0, w_hh, w_hr, b_hh, out, *sv)
        return (out, h, c) if mode == "LSTM" else (out, h)

    @staticmethod
    def backward(ctx, dout, dhn, dcn=None):
        mode, reverse, batch_sizes, sizes, packed = ctx.cfg
        saved = ctx.saved_tensors
        xw, b_x, h0, c0, w_hh, w_hr, b_hh, out = saved[:8]
        sv = [None if t is None else t._data for t in saved[8:]]
        if state.enabled:  # NOTE [ RNN double backward ]
            return _recompute_grads(ctx, (dout, dhn, dcn))
        da, dw_hr, db = None, None, None
        if mode == "LSTM":
            dx, dh, dc, dw, dw_hr = _lstm_bwd(
                sv,
                h0._data,
                c0._data,
                out._data,
                w_hh._data,
                None if w_hr is None else w_hr._data,
                dout._data,
                dhn._data,
                dcn._data,
                sizes,
                reverse,
                packed,
            )
            da = _make(dc)
        elif mode == "GRU":
            dx, dh, dw, db = _gru_bwd(sv, w_hh._data, dout._data, dhn._data, sizes, reverse)
        else:
            dx, dh, dw = _rnn_bwd(
                sv,
                out._data,
                w_hh._data,
                mode == "RNN_RELU",
                dout._data,
                dhn._data,
                sizes,
                reverse,
                packed,
            )
        need = ctx.needs_input_grad
        return (
            _make(dx),
            _make(dx.sum((0, 1))) if need[1] else None,
            _make(dh),
            da,
            _make(dw),
            None if dw_hr is None else _make(dw_hr),
            _make(db) if need[6] else None,
            None,
            None,
            None,
        )


def _recompute_grads(ctx, grads):
    from ..autograd.engine import grad as autograd_grad

    mode, reverse, batch_sizes, _, _ = ctx.cfg
    args = ctx.saved_tensors[:7]
    outs = composite_layer(mode, *args, reverse, batch_sizes)
    wanted = [i for i, a in enumerate(args) if a is not None and ctx.needs_input_grad[i]]
    pairs = [(o, g) for o, g in zip(outs, grads) if o is not None and g is not None]
    res = autograd_grad(
        [o for o, _ in pairs],
        [args[i] for i in wanted],
        [g for _, g in pairs],
        create_graph=True,
        allow_unused=True,
    )
    full = [None] * 10
    for i, g in zip(wanted, res):
        full[i] = g
    return tuple(full)


# -- composites: the per-step cell maths in ember ops ---------------------------------------------


def lstm_step(xw, h, c, w_hh, w_hr=None):
    """One LSTM step from the input projection ``xw`` (biases included); returns (h, c)."""
    gates = xw + E.matmul(h, w_hh.t())
    i, f, g, o = gates.chunk(4, 1)
    c = E.sigmoid(f) * c + E.sigmoid(i) * E.tanh(g)
    h = E.sigmoid(o) * E.tanh(c)
    if w_hr is not None:
        h = E.matmul(h, w_hr.t())
    return h, c


def gru_step(xw, h, w_hh, b_hh=None):
    """One GRU step from the input projection ``xw`` (input bias included); returns h."""
    hw = E.matmul(h, w_hh.t())
    if b_hh is not None:
        hw = hw + b_hh
    xr, xz, xn = xw.chunk(3, 1)
    hr, hz, hn = hw.chunk(3, 1)
    r = E.sigmoid(xr + hr)
    z = E.sigmoid(xz + hz)
    n = E.tanh(xn + r * hn)
    return (1 - z) * n + z * h


def rnn_step(xw, h, w_hh, relu=False):
    """One Elman RNN step from the input projection ``xw`` (biases included); returns h."""
    pre = xw + E.matmul(h, w_hh.t())
    return E.clamp_min(pre, 0) if relu else E.tanh(pre)


def composite_layer(mode, xw, b_x, h0, c0, w_hh, w_hr, b_hh, reverse, batch_sizes):
    """What ``Recurrence`` computes, step by step in ember ops (for double backward)."""
    if b_x is not None:
        xw = xw + b_x
    T, B = xw.shape[:2]
    sizes = _sizes(batch_sizes, T, B)
    h, c = h0, c0
    outs = [None] * T
    for t in _order(T, reverse):
        n = sizes[t]
        hp = h[:n]
        if mode == "LSTM":
            hn, cn = lstm_step(xw[t, :n], hp, c[:n], w_hh, w_hr)
            c = cn if n == B else E.cat([cn, c[n:]], 0)
        elif mode == "GRU":
            hn = gru_step(xw[t, :n], hp, w_hh, b_hh)
        else:
            hn = rnn_step(xw[t, :n], hp, w_hh, mode == "RNN_RELU")
        outs[t] = hn if n == B else E.cat([hn, hn.new_zeros((B - n, hn.shape[1]))], 0)
        h = hn if n == B else E.cat([hn, h[n:]], 0)
    out = E.stack(outs, 0)
    return (out, h, c) if mode == "LSTM" else (out, h)


def recurrence(mode, xw, b_x, h0, c0, w_hh, w_hr=None, b_hh=None, reverse=False, batch_sizes=None):
    """Run one direction of one layer over ``xw + b_x`` (T, B, G).

    Returns (output, h_n, c_n) for LSTM and (output, h_n) otherwise.

    Example:
        >>> xw, h0 = ember.randn(5, 2, 12), ember.zeros(2, 4)
        >>> out, h = recurrence("GRU", xw, None, h0, None, ember.randn(12, 4))
        >>> out.shape, h.shape
        (ember.Size([5, 2, 4]), ember.Size([2, 4]))
    """
    if mode not in MODES:
        raise ValueError(f"Unknown recurrent mode {mode!r}")
    return Recurrence.apply(xw, b_x, h0, c0, w_hh, w_hr, b_hh, mode, reverse, batch_sizes)
