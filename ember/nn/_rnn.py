"""Recurrent layers as functions: fused whole-sequence kernels and the per-step cell maths.

One recurrent layer (one direction) runs as a single primitive, ``Recurrence``, over the input
``x`` and the layer's weights. Its forward and backward loop over time on raw arrays, so each
step costs a few array calls instead of a graph of small Tensor ops; the input projection of
all steps is one matrix product (GRU, RNN) or part of the LSTM's per-step product (NOTE [ LSTM
kernel layout ]). See NOTE [ RNN double backward ].

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


def _kernel_rows(a, H):
    """PyTorch's LSTM gate rows (i, f, g, o) in the kernels' order (o, i, f, g)."""
    return xp_of(a).concatenate((a[3 * H :], a[: 3 * H]))


def _torch_rows(a, H):
    """The kernels' gate rows (o, i, f, g) back in PyTorch's order (i, f, g, o)."""
    return xp_of(a).concatenate((a[H:], a[:H]))


def _lstm_weights(w_ih, b, w_hh, s):
    """[w_hh | w_ih | b], rows in the kernels' gate order, scaled by ``s``: one (G, K) matrix."""
    xp = xp_of(w_hh)
    parts = (w_hh, w_ih) if b is None else (w_hh, w_ih, b[:, None])
    W = _kernel_rows(xp.concatenate(parts, 1), w_hh.shape[0] // 4)
    W *= s
    return W


def _last_states(S, sizes):
    """Each column's state after its own last step; ``S[t + 1]`` holds step t's (R, B) result.

    Packed batches are sorted by decreasing length, so column j ends where the step size drops
    below j + 1; unpacked or run in reverse (sizes rising), every column ends at the last step.
    """
    out = S[-1].copy()
    if sizes[-1] == S.shape[-1]:  # all columns run to the end
        return out.T.copy()
    for t, n in enumerate(sizes):
        m = sizes[t + 1] if t + 1 < len(sizes) else 0
        if m < n:
            out[:, m:n] = S[t + 1, :, m:n]
    return out.T.copy()


def _lstm_fwd(x, w_ih, b, h0, c0, w_hh, w_hr, sizes, reverse, packed):
    xp = xp_of(x)
    T, B, n_in = x.shape
    G, P = w_hh.shape
    H = G // 4
    K = P + n_in + (b is not None)
    # NOTE [ LSTM kernel layout ]
    # - Gate-major: the kernels keep each step's gates as a (G, B) block and the states as
    #   (H, B) / (P, B), so every gate is a contiguous (H, B) slice and the recurrence GEMMs are
    #   ``W @ a_t`` (forward) and ``w_hh.T @ dG_t`` (backward): OpenBLAS splits their 512 / 128
    #   rows over its threads instead of the batch's 20 (W6: 29-32 vs 41-45 us a GEMM).
    # - One GEMM a step makes the whole pre-activation: the step's input column block is
    #   a_t = [h_{t-1}; x_t; 1] (K, B) and W = [w_hh | w_ih | b_ih + b_hh], so the input
    #   projection, the bias and the add of the two products happen inside the GEMM (K = 161
    #   instead of 128 in W6), and backward gets all three weight gradients from one product
    #   dG @ A^T. Step t writes h_t straight into a_{t+1}.
    # - Gate order (o, i, f, g) inside the kernels (a roll of PyTorch's (i, f, g, o) rows by
    #   H), and each step's block Y[t] is (o, i, f, g, c_{t-1}) (5H, B): (i, f) * (g, c_{t-1}) is
    #   one multiply, and c_{t-1} is at hand in backward.
    # - Every gate is 1 / (1 + exp(s * z)) with s = -1 (sigmoid) or s = -2 for the cell gate,
    #   whose tanh(z) = 2 * sigmoid(2z) - 1: one exp call a step (cheaper than tanh), with s
    #   folded into W once.
    # - The kernels run forward in time; ``reverse`` flips the input and output.
    # Packed input advances the first n columns at a step. A column waits with its initial
    # state until its first step (reverse: short sequences start late) and is not touched after
    # its last; its gate rows stay zero at the steps it skips, so they get no gradient.
    s = xp.full((G, 1), -1, x.dtype)
    s[3 * H :] = -2
    W = _lstm_weights(w_ih, b, w_hh, s)
    new = xp.zeros if packed else xp.empty
    A = new((T + 1, K, B), x.dtype)
    A[:T, P : P + n_in] = (x[::-1] if reverse else x).transpose(0, 2, 1)
    A[T, P:] = 0
    if b is not None:
        A[:T, K - 1] = 1
    Y = new((T + 1, 5 * H, B), x.dtype)
    if packed:
        A[:, :P] = h0.T
        Y[:, 4 * H :] = c0.T
    else:
        A[0, :P] = h0.T
        Y[0, 4 * H :] = c0.T
    TC = new((T, H, B), x.dtype)
    HH = new((T, H, B), x.dtype) if w_hr is not None else None
    prod = xp.empty((2 * H, B), x.dtype)
    num = xp.ones((G, B), x.dtype)  # (G, B), not (G, 1): broadcasting a column is slower
    num[3 * H :] = 2
    one = xp.ones((), x.dtype)  # a 0-d array: ~0.5 us a call faster than the Python scalar 1
    # Each role's blocks of all steps as one view: an int index of a view costs about half a
    # slice of a step's block (W6: ~50 us a call of this kernel).
    gates, o_gate, i_f, g_gate = Y[:, :G], Y[:, :H], Y[:, H : 3 * H], Y[:, 3 * H : G]
    g_c, cell, hid = Y[:, 3 * H :], Y[:, G:], A[:, :P]  # (g, c_{t-1}); c_{t-1}; h_{t-1}
    p1, p2 = prod[:H], prod[H:]
    with np.errstate(over="ignore"):
        for t in range(T):
            n = sizes[t]
            if n == B:
                z, a, o, if_, gc, g = gates[t], A[t], o_gate[t], i_f[t], g_c[t], g_gate[t]
                c, h, tc, nm, pr, q1, q2 = cell[t + 1], hid[t + 1], TC[t], num, prod, p1, p2
                hh = HH[t] if HH is not None else None
            else:  # packed: the first n columns
                k, k1 = (t, slice(None), slice(n)), (t + 1, slice(None), slice(n))
                z, a, o, if_, gc, g = gates[k], A[k], o_gate[k], i_f[k], g_c[k], g_gate[k]
                c, h, tc = cell[k1], hid[k1], TC[k]
                nm, pr, q1, q2 = num[:, :n], prod[:, :n], p1[:, :n], p2[:, :n]
                hh = HH[k] if HH is not None else None
            np.matmul(W, a, out=z)
            np.exp(z, out=z)
            np.add(z, one, out=z)
            np.divide(nm, z, out=z)  # 1 / (1 + e), or 2 / (1 + e) for the cell gate
            np.subtract(g, one, out=g)
            np.multiply(if_, gc, out=pr)  # (i, f) * (g, c_{t-1})
            np.add(q1, q2, out=c)
            np.tanh(c, out=tc)
            if hh is None:
                np.multiply(o, tc, out=h)
            else:
                np.multiply(o, tc, out=hh)
                np.matmul(w_hr, hh, out=h)
    steps = A[T:0:-1] if reverse else A[1:]
    out = xp.ascontiguousarray(steps[:, :P].transpose(0, 2, 1))
    for t, n in enumerate(sizes):
        if n < B:
            out[T - 1 - t if reverse else t, n:] = 0  # padding, as PyTorch's padded output
    h_n = _last_states(A[:, :P], sizes)
    c_n = _last_states(Y[:, 4 * H :], sizes)
    return out, h_n, c_n, (Y, TC, HH, A)


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


def _lstm_bwd(sv, w_ih, w_hh, w_hr, dout, dhn, dcn, sizes, reverse, need_x, need_w, need_state):
    # Layout as in the forward (NOTE [ LSTM kernel layout ]): dG per step is a (G, B) block in
    # the kernels' gate order, states (H, B) / (P, B).
    xp = xp_of(dout)
    Y, TC, HH, A = sv
    T, H, B = TC.shape
    G = 4 * H
    Y5 = Y.reshape(T + 1, 5, H, B)
    # d(activation)/d(pre-activation) for every gate, all steps at once: y - y^2 or 1 - y^2.
    # In-place steps: fresh big temporaries cost page faults on every call.
    # It becomes the gates' gradient dG step by step, so no second big array is needed.
    D = Y[:T, :G] * Y[:T, :G]
    np.subtract(Y[:T, : 3 * H], D[:, : 3 * H], out=D[:, : 3 * H])
    np.subtract(1, D[:, 3 * H :], out=D[:, 3 * H :])
    # The factors of dG that do not depend on the incoming gradient, also all steps at once:
    # dG_o = dh * tanh(c_t), dG_i = dc * g, dG_f = dc * c_{t-1}, dG_g = dc * i (times D).
    # Per step this leaves one product with dh over the o block and one with dc over the
    # contiguous (i, f, g) block.
    D4 = D.reshape(T, 4, H, B)
    D4[:, 0] *= TC
    D4[:, 1] *= Y5[:T, 3]
    D4[:, 2] *= Y5[:T, 4]
    D4[:, 3] *= Y5[:T, 1]
    for t, n in enumerate(sizes):
        if n < B:
            D[t, :, n:] = 0
    OD = TC * TC  # d h_t / d c_t = o_t * tanh'(c_t)
    np.subtract(1, OD, out=OD)
    OD *= Y5[:T, 0]
    doutT = xp.ascontiguousarray((dout[::-1] if reverse else dout).transpose(0, 2, 1))
    DH = xp.zeros(doutT.shape, dout.dtype) if w_hr is not None else None
    dh = dhn.T.copy()
    dc = dcn.T.copy()
    w_t = xp.ascontiguousarray(_kernel_rows(w_hh, H).T)  # C order: ~10 % faster GEMMs
    w_hr_t = w_hr.T if w_hr is not None else None
    tmp = xp.empty((H, B), Y.dtype)
    for t in range(T - 1, -1, -1):
        n = sizes[t]
        if n == B:
            dht, dct, tm, d = dh, dc, tmp, D[t]
            d4, od, f, do = D4[t], OD[t], Y5[t, 2], doutT[t]
        else:
            dht, dct, tm, d = dh[:, :n], dc[:, :n], tmp[:, :n], D[t, :, :n]
            d4, od, f, do = D4[t, :, :, :n], OD[t, :, :n], Y5[t, 2, :, :n], doutT[t, :, :n]
        dht += do
        if w_hr is None:
            dhh = dht
        else:
            DH[t, :, :n] = dht
            dhh = w_hr_t @ dht
        np.multiply(dhh, od, out=tm)
        dct += tm
        d4[0] *= dhh
        d4[1] *= dct  # three calls: broadcasting dc over d4[1:] takes twice as long
        d4[2] *= dct
        d4[3] *= dct
        if t == 0 and not need_state:
            break
        dct *= f
        np.matmul(w_t, d, out=dht)
    # Weight gradients: one product of dG (G, T*B) with the steps' [h_{t-1}; x_t; 1] columns.
    Dc = xp.ascontiguousarray(D.transpose(1, 0, 2)).reshape(G, T * B)
    dW = dx = None
    if need_w:
        Ac = xp.ascontiguousarray(A[:T].transpose(0, 2, 1)).reshape(T * B, -1)
        dW = _torch_rows(Dc @ Ac, H)
    if need_x:
        dx = (Dc.T @ _kernel_rows(w_ih, H)).reshape(T, B, -1)
        dx = xp.ascontiguousarray(dx[::-1]) if reverse else dx
    dw_hr = xp.tensordot(DH, HH, ((0, 2), (0, 2))) if w_hr is not None else None
    return dx, dW, dh.T.copy(), dc.T.copy(), dw_hr


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

    Inputs: ``x`` (T, B, I), ``w_ih`` (G, I), ``b_ih`` and ``b_hh`` (G,) or None, ``h0`` (B, P),
    ``c0`` (B, H) or None, ``w_hh`` (G, P), ``w_hr`` (P, H) or None, then ``mode``,
    ``reverse``, ``batch_sizes``. Outputs: the per-step outputs (T, B, P), h_n (B, P) and, for
    LSTM, c_n (B, H). The LSTM kernel does the input projection inside its per-step products
    (NOTE [ LSTM kernel layout ]); GRU and RNN project all steps in one product first.
    """

    @staticmethod
    def forward(ctx, x, w_ih, b_ih, b_hh, h0, c0, w_hh, w_hr, mode, reverse, batch_sizes):
        T, B, n_in = x.shape
        sizes = _sizes(batch_sizes, T, B)
        packed = batch_sizes is not None
        if mode == "LSTM":
            b = b_ih if b_hh is None else (b_hh if b_ih is None else b_ih + b_hh)
            kernel_sizes = sizes[::-1] if reverse else sizes
            out, h, c, sv = _lstm_fwd(x, w_ih, b, h0, c0, w_hh, w_hr, kernel_sizes, reverse, packed)
        else:
            # All steps' input projection in one product; GRU's b_hh sits inside r * (...).
            xw = (x.reshape(T * B, n_in) @ w_ih.T).reshape(T, B, -1)
            for bias in (b_ih,) if mode == "GRU" else (b_ih, b_hh):
                if bias is not None:
                    xw += bias
            if mode == "GRU":
                out, h, sv = _gru_fwd(xw, h0, w_hh, b_hh, sizes, reverse, packed)
            else:
                out, h, sv = _rnn_fwd(xw, h0, w_hh, mode == "RNN_RELU", sizes, reverse, packed)
        if any(ctx.needs_input_grad):
            ctx.cfg = (mode, reverse, batch_sizes, sizes, packed)
            # The kernel's intermediates ride along as saved constants, so the engine frees
            # them with the graph (and keeps them when retain_graph=True).
            ctx.save_for_backward(x, w_ih, b_ih, b_hh, h0, c0, w_hh, w_hr, out, *sv)
        return (out, h, c) if mode == "LSTM" else (out, h)

    @staticmethod
    def backward(ctx, dout, dhn, dcn=None):
        mode, reverse, batch_sizes, sizes, packed = ctx.cfg
        if state.enabled:  # NOTE [ RNN double backward ]
            return _recompute_grads(ctx, (dout, dhn, dcn))
        saved = ctx.saved_tensors
        x, w_ih, b_ih, b_hh, h0, c0, w_hh, w_hr, out = (
            None if t is None else t._data for t in saved[:9]
        )
        sv = [None if t is None else t._data for t in saved[9:]]
        need = ctx.needs_input_grad
        T, B, n_in = x.shape
        P = w_hh.shape[1]
        dc = dw_hr = db_hh = None
        if mode == "LSTM":
            kernel_sizes = sizes[::-1] if reverse else sizes
            need_w = need[1] or need[2] or need[3] or need[6]
            dx, dW, dh, dc, dw_hr = _lstm_bwd(
                sv,
                w_ih,
                w_hh,
                w_hr,
                dout._data,
                dhn._data,
                dcn._data,
                kernel_sizes,
                reverse,
                need[0],
                need_w,
                need[4] or need[5],
            )
            dw_hh, dw_ih, db = (None,) * 3
            if need_w:
                dw_hh, dw_ih = dW[:, :P].copy(), dW[:, P : P + n_in].copy()
                db = dW[:, -1].copy() if b_ih is not None or b_hh is not None else None
            db_ih = db_hh = db
        else:
            if mode == "GRU":
                dxw, dh, dw_hh, db_hh = _gru_bwd(sv, w_hh, dout._data, dhn._data, sizes, reverse)
            else:
                dxw, dh, dw_hh = _rnn_bwd(
                    sv,
                    out,
                    w_hh,
                    mode == "RNN_RELU",
                    dout._data,
                    dhn._data,
                    sizes,
                    reverse,
                    packed,
                )
            d2 = dxw.reshape(T * B, -1)
            dx = (d2 @ w_ih).reshape(T, B, n_in) if need[0] else None
            dw_ih = d2.T @ x.reshape(T * B, n_in) if need[1] else None
            db_ih = d2.sum(0) if need[2] or (need[3] and mode != "GRU") else None
            if mode != "GRU":
                db_hh = db_ih
        grads = (dx, dw_ih, db_ih, db_hh, dh, dc, dw_hh, dw_hr)
        return tuple(_make(g) if g is not None and n else None for g, n in zip(grads, need)) + (
            None,
            None,
            None,
        )


def _recompute_grads(ctx, grads):
    from ..autograd.engine import grad as autograd_grad

    mode, reverse, batch_sizes, _, _ = ctx.cfg
    args = ctx.saved_tensors[:8]
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
    full = [None] * 11
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


def composite_layer(mode, x, w_ih, b_ih, b_hh, h0, c0, w_hh, w_hr, reverse, batch_sizes) -> tuple:
    """What ``Recurrence`` computes, step by step in ember ops (for double backward)."""
    xw = E.matmul(x, w_ih.t())
    for bias in (b_ih,) if mode == "GRU" else (b_ih, b_hh):
        if bias is not None:
            xw = xw + bias
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


def recurrence(
    mode: str,
    x,
    w_ih,
    b_ih,
    b_hh,
    h0,
    c0,
    w_hh,
    w_hr=None,
    reverse: bool = False,
    batch_sizes=None,
) -> tuple:
    """Run one direction of one recurrent layer over ``x`` (T, B, I).

    Returns (output, h_n, c_n) for LSTM and (output, h_n) otherwise.

    Example:
        >>> x, h0 = ember.randn(5, 2, 3), ember.zeros(2, 4)
        >>> out, h = recurrence("GRU", x, ember.randn(12, 3), None, None, h0, None,
        ...                     ember.randn(12, 4))
        >>> out.shape, h.shape
        (ember.Size([5, 2, 4]), ember.Size([2, 4]))
    """
    if mode not in MODES:
        raise ValueError(f"Unknown recurrent mode {mode!r}")
    return Recurrence.apply(x, w_ih, b_ih, b_hh, h0, c0, w_hh, w_hr, mode, reverse, batch_sizes)
