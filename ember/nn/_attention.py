"""Attention functionals: scaled dot-product attention and the multi-head attention forward.

Both are composites of ember ops (matmul, softmax, masking), so they need no gradient code and
support double backward.
"""

from __future__ import annotations

import math

from .. import ops as E
from .._dtype import bool_
from .._tensor import Tensor

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def _softmax(x: Tensor, dim: int) -> Tensor:
    from .functional import softmax

    return softmax(x, dim)


def _dropout(x: Tensor, p: float, training: bool = True) -> Tensor:
    from .functional import dropout

    return dropout(x, p, training)


def _safe_softmax(scores: Tensor) -> Tensor:
    """Softmax over the last dim that gives 0 (not NaN) on rows where everything is masked."""
    dead = (scores == -math.inf).all(-1, keepdim=True)
    if not bool(dead.any()):
        return _softmax(scores, -1)
    # Fill dead rows before the softmax too: NaN there would leak into the gradient as 0 * NaN.
    return _softmax(scores.masked_fill(dead, 0.0), -1).masked_fill(dead, 0.0)


def _check_float_or_bool_mask(mask: Tensor, query: Tensor) -> None:
    if mask.dtype.is_floating_point or mask.dtype == bool_:
        return
    raise RuntimeError(
        "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
        f"attn_mask.dtype: {mask.dtype} and  query.dtype: {query.dtype} instead."
    )


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(query @ key^T * scale + mask) @ value, with optional dropout on the weights.

    Args:
        query: (N..., L, E); key: (N..., S, E); value: (N..., S, Ev).
        attn_mask: broadcastable to (N..., L, S); bool (True = may attend) or float (added).
        dropout_p: dropout probability on the attention weights.
        is_causal: attend only to earlier positions (lower-triangular mask); excludes attn_mask.
        scale: defaults to 1 / sqrt(E).
        enable_gqa: let key/value have fewer heads (dim -3) than query, shared across groups.

    Shape:
        output (N..., L, Ev). Rows where every key is masked give zeros.

    Example:
        >>> q = k = v = ember.randn(2, 4, 3, 8)
        >>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
        ember.Size([2, 4, 3, 8])
    """
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{_tname(query)} key.dtype: {_tname(key)} and value.dtype: {_tname(value)} instead."
        )
    if attn_mask is not None and is_causal:
        raise RuntimeError(
            "_scaled_dot_product_attention: Explicit attn_mask should not be set "
            "when is_causal=True"
        )
    if enable_gqa and query.ndim >= 3 and key.ndim >= 3:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hq % hk or hq % hv:
            raise RuntimeError(
                "Number of heads in key and value must divide the number of heads in query"
            )
        if hk != hq:
            key = key.repeat_interleave(hq // hk, -3)
        if hv != hq:
            value = value.repeat_interleave(hq // hv, -3)
    L, S = query.shape[-2], key.shape[-2]
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    scores = E.matmul(query * scale, key.transpose(-2, -1))
    if is_causal:
        allowed = E.ones((L, S), dtype=bool_, device=query.device).tril()
        scores = scores.masked_fill(allowed.logical_not(), -math.inf)
    elif attn_mask is not None:
        _check_float_or_bool_mask(attn_mask, query)
        if attn_mask.dtype == bool_:
            scores = scores.masked_fill(attn_mask.logical_not(), -math.inf)
        else:
            scores = scores + attn_mask
    weights = _safe_softmax(scores)
    if dropout_p > 0.0:
        weights = _dropout(weights, dropout_p)
    return E.matmul(weights, value)


def _tname(t: Tensor) -> str:
    names = {"float64": "double", "float32": "float", "float16": "c10::Half", "int64": "long int"}
    n = str(t.dtype).split(".")[-1]
    return names.get(n, n)


def _canonical_mask(mask: Tensor | None, name: str, target: Tensor) -> Tensor | None:
    """A float mask to add to the scores: bool masks (True = masked out) become -inf/0."""
    if mask is None:
        return None
    if mask.dtype == bool_:
        return E.zeros(mask.shape, dtype=target.dtype, device=mask.device).masked_fill(
            mask, -math.inf
        )
    if not mask.dtype.is_floating_point:
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return mask


def _in_projection(query, key, value, w, b, wq, wk, wv, separate: bool, E_: int):
    if not separate:
        wq, wk, wv = w.split(E_, 0)
    bq = bk = bv = None
    if b is not None:
        bq, bk, bv = b.split(E_, 0)

    def lin(x, w, b):
        y = E.matmul(x, w.t())
        return y if b is None else y + b

    if not separate and key is query and value is query:
        return lin(query, w, b).chunk(3, -1)
    return lin(query, wq, bq), lin(key, wk, bk), lin(value, wv, bv)


def multi_head_attention_forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool = True,
    key_padding_mask: Tensor | None = None,
    need_weights: bool = True,
    attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None,
    static_v: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
):
    """The forward pass of ``nn.MultiheadAttention`` on sequence-first inputs.

    Shape:
        query (L, N, E) or (L, E); key (S, N, E_k); value (S, N, E_v); key_padding_mask (N, S)
        (True / -inf = ignore that key); attn_mask (L, S) or (N * num_heads, L, S) (True / -inf =
        may not attend). Returns (output (L, N, E), weights (N, L, S) averaged over heads,
        (N, num_heads, L, S) per head, or None).

    Example:
        >>> m = ember.nn.MultiheadAttention(8, 2)
        >>> x = ember.randn(5, 3, 8)
        >>> out, w = F.multi_head_attention_forward(x, x, x, 8, 2, m.in_proj_weight,
        ...     m.in_proj_bias, None, None, False, 0.0, m.out_proj.weight, m.out_proj.bias)
        >>> out.shape, w.shape
        (ember.Size([5, 3, 8]), ember.Size([3, 5, 5]))
    """
    unbatched = query.ndim == 2
    if query.ndim not in (2, 3):
        raise AssertionError(
            f"query should be unbatched 2D or batched 3D tensor but received "
            f"{query.ndim}-D query tensor"
        )
    if key.ndim != query.ndim or value.ndim != query.ndim:
        raise AssertionError(
            f"For {'unbatched (2-D)' if unbatched else 'batched (3-D)'} `query`, expected `key` "
            f"and `value` to be {query.ndim}-D but found {key.ndim}-D and {value.ndim}-D "
            "tensors respectively"
        )
    if unbatched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the "
            "Transformer module method `generate_square_subsequent_mask` to "
            "create this mask."
        )
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    if embed_dim != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}"
        )
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if key.shape[:2] != value.shape[:2]:
        raise AssertionError(
            f"key shape {tuple(key.shape)} does not match value shape {tuple(value.shape)}"
        )

    q, k, v = _in_projection(
        query,
        key,
        value,
        in_proj_weight,
        in_proj_bias,
        q_proj_weight,
        k_proj_weight,
        v_proj_weight,
        use_separate_proj_weight,
        embed_dim,
    )
    attn_mask = _canonical_mask(attn_mask, "attn_mask", q)
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", q)
    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 2D attn_mask is {tuple(attn_mask.shape)}, "
                    f"but should be {(tgt_len, src_len)}."
                )
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.ndim == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 3D attn_mask is {tuple(attn_mask.shape)}, "
                    f"but should be {(bsz * num_heads, tgt_len, src_len)}."
                )
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")

    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key/value.")
        k = E.cat([k, bias_k.expand(1, bsz, embed_dim)], 0)
        v = E.cat([v, bias_v.expand(1, bsz, embed_dim)], 0)
        attn_mask = _pad_last(attn_mask)
        key_padding_mask = _pad_last(key_padding_mask)

    # (L, N, E) -> (N * heads, L, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = (
        static_k
        if static_k is not None
        else k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    )
    v = (
        static_v
        if static_v is not None
        else v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    )
    if add_zero_attn:
        k = E.cat([k, k.new_zeros((bsz * num_heads, 1, head_dim))], 1)
        v = E.cat([v, v.new_zeros((bsz * num_heads, 1, head_dim))], 1)
        attn_mask = _pad_last(attn_mask)
        key_padding_mask = _pad_last(key_padding_mask)
    src_len = k.shape[1]

    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(
                f"expecting key_padding_mask shape of {(bsz, src_len)}, but "
                f"got {tuple(key_padding_mask.shape)}"
            )
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(bsz, num_heads, 1, src_len)
        kpm = kpm.reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0

    scores = E.matmul(q * (1.0 / math.sqrt(head_dim)), k.transpose(-2, -1))
    if attn_mask is not None:
        scores = scores + attn_mask
    if need_weights:
        weights = _softmax(scores, -1)
    else:
        weights = _safe_softmax(scores)
    if dropout_p > 0.0:
        weights = _dropout(weights, dropout_p)
    out = E.matmul(weights, v)  # (N * heads, L, head_dim)
    out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = E.matmul(out, out_proj_weight.t())
    if out_proj_bias is not None:
        out = out + out_proj_bias
    out = out.reshape(tgt_len, bsz, embed_dim)
    if unbatched:
        out = out.squeeze(1)
    if not need_weights:
        return out, None
    w = weights.reshape(bsz, num_heads, tgt_len, src_len)
    if average_attn_weights:
        w = w.mean(1)
    if unbatched:
        w = w.squeeze(0)
    return out, w


def _pad_last(mask: Tensor | None) -> Tensor | None:
    """Append one unmasked (zero) column to a float mask."""
    if mask is None:
        return None
    return E.cat([mask, mask.new_zeros(tuple(mask.shape[:-1]) + (1,))], -1)
