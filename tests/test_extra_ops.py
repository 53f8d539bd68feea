"""ember/ops/extra.py against PyTorch: values, dtypes and shapes, gradients (torch's and finite
differences, first and second order), the exceptions bad inputs raise, and the in-place methods.

Every case is a function of the library (``L`` is ``ember`` or ``torch``) that builds its inputs
from the same NumPy arrays, so both libraries see identical values.
"""

from __future__ import annotations

import doctest
import warnings

import numpy as np
import pytest
from conftest import torch

import ember
from ember.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(7)
NAN = float("nan")
INF = float("inf")


def arr(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


A34 = arr(3, 4)
A5 = arr(5)
B25 = arr(2, 5, 3)
C24 = arr(2, 4, 3)
P30 = arr(30, 3)  # more than 25 rows: cdist's default switches to the matrix-product form
Q28 = arr(28, 3)
D3143 = arr(3, 1, 4, 3)
WITH_NAN = np.array([[1.5, NAN, 3.25, 2.0], [NAN, NAN, NAN, NAN], [4.0, 1.0, NAN, 2.5]], np.float32)
INTS = np.array([[3, 1, 4, 1], [5, 9, 2, 6], [5, 3, 5, 8]], np.int64)
RUNS = np.array([1, 1, 2, 2, 3, 1, 1, 2], np.int64)
ROWS = np.array([[1, 1], [1, 1], [2, 3], [2, 3], [1, 1]], np.int64)


def T(L, a, dtype=None):
    """``a`` as a tensor of library ``L`` (optionally cast to the NumPy ``dtype``)."""
    return L.tensor(np.asarray(a) if dtype is None else np.asarray(a).astype(dtype))


# -- forward values ------------------------------------------------------------------------------

FORWARD = {
    # grids and index sets
    "meshgrid-ij": lambda L: L.meshgrid(T(L, [1.0, 2, 3]), T(L, [4.0, 5]), indexing="ij"),
    "meshgrid-xy-list": lambda L: L.meshgrid([T(L, [1.0, 2, 3]), T(L, [4.0, 5])], indexing="xy"),
    "meshgrid-xy-3": lambda L: L.meshgrid(
        T(L, [1, 2]), T(L, [3, 4, 5]), T(L, [6, 7, 8, 9]), indexing="xy"
    ),
    "meshgrid-0d": lambda L: L.meshgrid(T(L, 3.0), T(L, [1.0, 2]), indexing="xy"),
    "meshgrid-one": lambda L: L.meshgrid(T(L, [1.0, 2]), indexing="xy"),
    "meshgrid-empty": lambda L: L.meshgrid(T(L, [1.0, 2]), T(L, np.zeros(0)), indexing="ij"),
    "cartesian_prod": lambda L: L.cartesian_prod(T(L, [1, 2, 3]), T(L, [4, 5])),
    "cartesian_prod-3": lambda L: L.cartesian_prod(T(L, A5[:2]), T(L, A5[2:]), T(L, A5[:1])),
    "cartesian_prod-one": lambda L: L.cartesian_prod(T(L, A5)),
    "combinations": lambda L: L.combinations(T(L, A5)),
    "combinations-3": lambda L: L.combinations(T(L, [1, 2, 3, 4]), r=3),
    "combinations-repl": lambda L: L.combinations(T(L, [1, 2, 3]), 3, True),
    "combinations-r0": lambda L: L.combinations(T(L, A5), r=0),
    "combinations-r-big": lambda L: L.combinations(T(L, A5[:3]), r=4),
    "combinations-empty": lambda L: L.combinations(T(L, np.zeros(0, np.float32))),
    "block_diag": lambda L: L.block_diag(T(L, A34[:2, :3]), T(L, A5), T(L, 2.5), T(L, A34)),
    "block_diag-promote": lambda L: L.block_diag(T(L, 1), T(L, A5), T(L, [[1, 2]], np.int32)),
    "block_diag-int": lambda L: L.block_diag(T(L, [1], np.int32), T(L, 1)),
    "block_diag-empty-blocks": lambda L: L.block_diag(
        T(L, np.zeros((0, 3))), T(L, np.ones((2, 0)))
    ),
    "block_diag-none": lambda L: L.block_diag(),
    "tril_indices": lambda L: L.tril_indices(3, 4),
    "tril_indices-offset": lambda L: L.tril_indices(4, 3, 1),
    "tril_indices-neg": lambda L: L.tril_indices(5, 4, offset=-2, dtype=L.int32),
    "tril_indices-none": lambda L: L.tril_indices(3, 4, offset=-10),
    "tril_indices-zero": lambda L: L.tril_indices(0, 4),
    "triu_indices": lambda L: L.triu_indices(3, 4),
    "triu_indices-offset": lambda L: L.triu_indices(4, 5, -1, device="cpu"),
    "triu_indices-none": lambda L: L.triu_indices(3, 4, 10, dtype=L.int32),
    "vander": lambda L: L.vander(T(L, A5)),
    "vander-N": lambda L: L.vander(T(L, A5), N=3, increasing=True),
    "vander-N0": lambda L: L.vander(T(L, A5), 0),
    "vander-int32": lambda L: L.vander(T(L, [1, 2, 3], np.int32)),
    "vander-bool": lambda L: L.vander(T(L, [True, False]), 3),
    "vander-f64": lambda L: L.vander(T(L, A5, np.float64), 4),
    "vander-empty": lambda L: L.vander(T(L, np.zeros(0, np.float32))),
    "unravel_index": lambda L: L.unravel_index(T(L, [4, 1, 0, 5]), (3, 2)),
    "unravel_index-2d": lambda L: L.unravel_index(T(L, [[4, 1], [2, 3]]), (2, 1, 3)),
    "unravel_index-wrap": lambda L: L.unravel_index(T(L, [-1, -7, 6, 7, -12, 100]), (3, 2)),
    "unravel_index-int": lambda L: L.unravel_index(T(L, 5), 6),
    "unravel_index-size": lambda L: L.unravel_index(T(L, 5), L.Size([2, 3])),
    "unravel_index-int32": lambda L: L.unravel_index(T(L, [5, 3], np.int32), [3, 2]),
    "unravel_index-noshape": lambda L: L.unravel_index(T(L, 0), ()),
    "unravel_index-empty": lambda L: L.unravel_index(T(L, np.zeros(0, np.int64)), (3, 0)),
    # membership and runs
    "isin": lambda L: L.isin(T(L, INTS), T(L, [1, 5, 7])),
    "isin-invert": lambda L: L.isin(T(L, INTS), T(L, [[1, 5]]), invert=True),
    "isin-promote": lambda L: L.isin(T(L, [1, 2, 3]), T(L, [2.0, 5.5])),
    "isin-float": lambda L: L.isin(T(L, [1.5, 2.0]), T(L, [1])),
    "isin-scalar-test": lambda L: L.isin(T(L, [1, 2, 3]), 2),
    "isin-scalar-elem": lambda L: L.isin(2, T(L, [1, 2, 3])),
    "isin-scalar-miss": lambda L: L.isin(2.5, T(L, [2])),
    "isin-nan": lambda L: L.isin(T(L, [1.0, NAN]), T(L, [NAN, 1.0])),
    "isin-unique": lambda L: L.isin(T(L, [1, 2]), T(L, [2]), assume_unique=True),
    "unique_consecutive": lambda L: L.unique_consecutive(T(L, RUNS)),
    "unique_consecutive-all": lambda L: L.unique_consecutive(
        T(L, RUNS), return_inverse=True, return_counts=True
    ),
    "unique_consecutive-inverse": lambda L: L.unique_consecutive(T(L, ROWS), return_inverse=True),
    "unique_consecutive-counts": lambda L: T(L, RUNS).unique_consecutive(return_counts=True),
    "unique_consecutive-dim0": lambda L: L.unique_consecutive(
        T(L, ROWS), dim=0, return_inverse=True, return_counts=True
    ),
    "unique_consecutive-dim1": lambda L: L.unique_consecutive(
        T(L, ROWS.T), dim=1, return_inverse=True, return_counts=True
    ),
    "unique_consecutive-dim-none": lambda L: L.unique_consecutive(
        T(L, ROWS), dim=1, return_counts=True
    ),
    "unique_consecutive-0d": lambda L: L.unique_consecutive(
        T(L, 3), return_inverse=True, return_counts=True
    ),
    "unique_consecutive-empty": lambda L: L.unique_consecutive(
        T(L, np.zeros((0, 2), np.float32)), return_inverse=True, return_counts=True
    ),
    "unique_consecutive-empty-dim": lambda L: L.unique_consecutive(
        T(L, np.zeros((0, 2), np.float32)), dim=0, return_inverse=True, return_counts=True
    ),
    "unique_consecutive-nan": lambda L: L.unique_consecutive(
        T(L, [1.0, NAN, NAN, 2.0]), return_counts=True
    ),
    # histograms
    "histc": lambda L: L.histc(T(L, A34), bins=5),
    "histc-range": lambda L: L.histc(T(L, A34), 4, -0.5, 1.0),
    "histc-edges": lambda L: L.histc(T(L, np.arange(11.0, dtype=np.float32)), 3, 0, 10),
    "histc-fine": lambda L: L.histc(T(L, [0.1, 0.2, 0.3]), bins=3, min=0.1, max=0.3),
    "histc-const": lambda L: L.histc(T(L, [3.0, 3.0]), bins=4),
    "histc-min-eq-max": lambda L: L.histc(T(L, A5), bins=4, min=3, max=3),
    "histc-nan-range": lambda L: L.histc(T(L, [1.0, NAN, 2.0]), bins=2, min=0, max=3),
    "histc-empty": lambda L: L.histc(T(L, np.zeros(0, np.float32)), bins=3),
    "histc-f64": lambda L: L.histc(T(L, A34, np.float64), bins=3),
    "histc-f16": lambda L: T(L, A34, np.float16).histc(bins=3),
    # statistics
    "cov": lambda L: L.cov(T(L, A34)),
    "cov-1d": lambda L: L.cov(T(L, A5)),
    "cov-ml": lambda L: T(L, A34).cov(correction=0),
    "cov-int": lambda L: L.cov(T(L, INTS)),
    "cov-weights": lambda L: L.cov(
        T(L, A34), fweights=T(L, [1, 2, 1, 3]), aweights=T(L, [0.5, 1.0, 2.0, 1.0])
    ),
    "cov-fweights": lambda L: L.cov(T(L, A34), fweights=T(L, [1, 2, 0, 3]), correction=2),
    "cov-aweights": lambda L: L.cov(T(L, A34), aweights=T(L, [0.5, 1.0, 2.0, 1.0])),
    "cov-aweights-f64": lambda L: L.cov(T(L, A34), aweights=T(L, [0.5, 1.0, 2.0, 1.0], "f8")),
    "cov-0d-weights": lambda L: L.cov(T(L, A5[:1]), fweights=T(L, 2), correction=0),
    "cov-one-var": lambda L: L.cov(T(L, A34[:1])),
    "cov-no-vars": lambda L: L.cov(T(L, np.zeros((0, 3), np.float32))),
    "corrcoef": lambda L: L.corrcoef(T(L, A34)),
    "corrcoef-1d": lambda L: L.corrcoef(T(L, A5)),
    "corrcoef-int": lambda L: L.corrcoef(T(L, INTS)),
    "corrcoef-const": lambda L: T(L, [[1.0, 1, 1], [3, 1, 0]]).corrcoef(),
    "corrcoef-exact": lambda L: L.corrcoef(T(L, [[1.0, 2, 3], [3, 2, 1]])),
    # integration
    "trapezoid": lambda L: L.trapezoid(T(L, A34)),
    "trapezoid-x": lambda L: L.trapezoid(T(L, A34), T(L, [0.0, 1, 3, 3.5])),
    "trapezoid-x-kw": lambda L: L.trapezoid(T(L, A34), x=T(L, [0.0, 1, 2]), dim=0),
    "trapezoid-x-2d": lambda L: L.trapezoid(T(L, A34), T(L, A34 * 2)),
    "trapezoid-x-bcast": lambda L: L.trapezoid(T(L, A34), T(L, [[0.0, 1, 3, 3.5]])),
    "trapezoid-dx": lambda L: L.trapezoid(T(L, A34), dx=2.5),
    "trapezoid-dx-tensor": lambda L: L.trapezoid(T(L, A34), dx=T(L, 2.0)),
    "trapezoid-dim0": lambda L: L.trapezoid(T(L, B25), dim=1),
    "trapezoid-int": lambda L: L.trapezoid(T(L, [1, 2, 4])),
    "trapezoid-int-dx": lambda L: L.trapezoid(T(L, [1, 2, 5], np.int32), dx=1),
    "trapezoid-int-x": lambda L: L.trapezoid(T(L, [1, 2, 4]), T(L, [1, 2, 3])),
    "trapezoid-f64-x": lambda L: L.trapezoid(T(L, A34), T(L, [0.0, 1, 3, 3.5], np.float64)),
    "trapezoid-one": lambda L: L.trapezoid(T(L, A34[:, :1])),
    "trapezoid-empty": lambda L: L.trapezoid(T(L, np.zeros((2, 0), np.float32))),
    "trapezoid-empty-x": lambda L: L.trapezoid(T(L, np.zeros((2, 0), np.float32)), T(L, [])),
    "trapz": lambda L: L.trapz(T(L, A34), T(L, [0.0, 1, 3, 3.5])),
    "trapz-dx": lambda L: L.trapz(T(L, A34), dx=2, dim=0),
    "cumulative_trapezoid": lambda L: L.cumulative_trapezoid(T(L, A34)),
    "cumulative_trapezoid-x": lambda L: L.cumulative_trapezoid(T(L, A34), T(L, [0.0, 1, 3, 3.5])),
    "cumulative_trapezoid-x-2d": lambda L: L.cumulative_trapezoid(T(L, A34), T(L, A34 * 3)),
    "cumulative_trapezoid-dx": lambda L: L.cumulative_trapezoid(T(L, A34), dx=3, dim=0),
    "cumulative_trapezoid-int": lambda L: L.cumulative_trapezoid(T(L, [1, 2, 4])),
    "cumulative_trapezoid-empty": lambda L: L.cumulative_trapezoid(T(L, np.zeros(0))),
    "cumulative_trapezoid-one": lambda L: L.cumulative_trapezoid(T(L, A34[:, :1])),
    # NaN-ignoring order statistics
    "nanmedian": lambda L: L.nanmedian(T(L, WITH_NAN)),
    "nanmedian-dim": lambda L: L.nanmedian(T(L, WITH_NAN[[0, 2]]), 1),
    "nanmedian-dim0-keep": lambda L: T(L, WITH_NAN).nanmedian(0, keepdim=True),
    "nanmedian-nonan": lambda L: L.nanmedian(T(L, A34), -1),
    "nanmedian-allnan-value": lambda L: L.nanmedian(T(L, WITH_NAN), 1).values,
    "nanmedian-allnan": lambda L: L.nanmedian(T(L, [NAN, NAN])),
    "nanmedian-int": lambda L: L.nanmedian(T(L, [3, 1, 2])),
    "nanmedian-int-dim": lambda L: L.nanmedian(T(L, INTS[:, :3] * 10 + np.arange(3)), 1),
    "nanmedian-empty": lambda L: L.nanmedian(T(L, np.zeros(0, np.float32))),
    "nanmedian-empty-rows": lambda L: L.nanmedian(T(L, np.zeros((0, 3), np.float32)), 1),
    "nanmedian-0d": lambda L: L.nanmedian(T(L, 3.0), 0),
    "nanmedian-0d-all": lambda L: L.nanmedian(T(L, 3.0)),
    "nanmedian-inf": lambda L: L.nanmedian(T(L, [INF, INF, 1.0, NAN])),
    "nanquantile": lambda L: L.nanquantile(T(L, WITH_NAN), 0.3),
    "nanquantile-dim": lambda L: L.nanquantile(T(L, WITH_NAN), 0.3, dim=1),
    "nanquantile-q": lambda L: T(L, WITH_NAN).nanquantile(T(L, [0.25, 0.5, 1.0], "f4"), dim=1),
    "nanquantile-keep": lambda L: L.nanquantile(
        T(L, WITH_NAN), T(L, [0.25, 0.5], "f4"), dim=0, keepdim=True
    ),
    "nanquantile-keep-all": lambda L: L.nanquantile(
        T(L, WITH_NAN), T(L, [0.25, 0.5], "f4"), keepdim=True
    ),
    "nanquantile-nonan": lambda L: L.nanquantile(T(L, A34, np.float64), 0.75, dim=0),
    "nanquantile-0d": lambda L: L.nanquantile(T(L, 2.0), 0.5, dim=0),
    "nanquantile-0d-keep": lambda L: L.nanquantile(T(L, 2.0), T(L, [0.5]), dim=0, keepdim=True),
    "nanquantile-inf": lambda L: L.nanquantile(T(L, [1.0, INF, 2.0]), T(L, [0.5, 0.75])),
    **{
        f"nanquantile-{mode}": (
            lambda L, mode=mode: L.nanquantile(
                T(L, WITH_NAN), T(L, [0.0, 0.25, 0.5, 0.6, 1.0], "f4"), dim=1, interpolation=mode
            )
        )
        for mode in ("lower", "higher", "midpoint", "nearest")
    },
    "nanquantile-nearest-tie": lambda L: L.nanquantile(
        T(L, [[1.0, 2, 3, 4]]), 0.5, dim=1, interpolation="nearest"
    ),
    # floats
    "frexp": lambda L: L.frexp(T(L, [0.0, -0.0, 1.0, 8.0, -3.5, 1e-40, 1e-45, INF, -INF, NAN])),
    "frexp-f64": lambda L: T(L, [1e-310, 3.0, -0.1, 1e300], np.float64).frexp(),
    "frexp-f16": lambda L: L.frexp(T(L, [6e-8, 1.0, 65504.0, -3.0], np.float16)),
    "frexp-0d": lambda L: L.frexp(T(L, 3.0)),
    "nextafter": lambda L: L.nextafter(
        T(L, [1.0, 0.0, -1.0, INF, NAN, 0.0]), T(L, [2.0, -1.0, -2.0, 0.0, 1.0, 0.0])
    ),
    "nextafter-bcast": lambda L: T(L, [1.0, 2.0]).nextafter(T(L, [[3.0], [0.0]])),
    "nextafter-promote": lambda L: L.nextafter(T(L, [1.0]), T(L, [3.0], np.float64)),
    "nextafter-f16": lambda L: L.nextafter(T(L, [1.0], np.float16), T(L, [3.0], np.float16)),
    # indexing
    "index_copy": lambda L: L.index_copy(T(L, A34), 0, T(L, [2, 0]), T(L, A34[:2] * 10)),
    "index_copy-dim1": lambda L: T(L, A34).index_copy(1, T(L, [3, 0, 1]), T(L, A34[:, :3] * 10)),
    "index_copy-0d-index": lambda L: L.index_copy(T(L, A5), 0, T(L, 1), T(L, 5.0, "f4")),
    "index_copy-0d-self": lambda L: L.index_copy(T(L, 1.0), 0, T(L, [0]), T(L, [5.0])),
    "index_copy-0d-both": lambda L: L.index_copy(T(L, 1.0), 0, T(L, 0), T(L, 5.0)),
    "index_copy-int": lambda L: L.index_copy(T(L, INTS), -1, T(L, [1]), T(L, INTS[:, :1] + 7)),
    "index_copy-empty": lambda L: L.index_copy(
        T(L, A34), 0, T(L, np.zeros(0, np.int64)), T(L, A34[:0])
    ),
    "renorm": lambda L: L.renorm(T(L, A34 * 3), 2, 0, 2.0),
    "renorm-dim1": lambda L: T(L, A34 * 3).renorm(1, 1, 2.5),
    "renorm-inf": lambda L: L.renorm(T(L, A34 * 3), INF, 0, 1.5),
    "renorm-half": lambda L: L.renorm(T(L, A34 * 3), 0.5, -1, 2.0),
    "renorm-3d": lambda L: L.renorm(T(L, B25), 3, 1, 1.0),
    "renorm-zero": lambda L: L.renorm(T(L, np.zeros((2, 3), np.float32)), 2, 0, 1),
    "renorm-empty": lambda L: L.renorm(T(L, np.zeros((2, 0), np.float32)), 2, 0, 1),
    # distances
    "cdist": lambda L: L.cdist(T(L, C24), T(L, B25)),
    "cdist-2d": lambda L: L.cdist(T(L, C24[0]), T(L, B25[0])),
    "cdist-bcast": lambda L: L.cdist(T(L, C24), T(L, B25[0])),
    "cdist-bcast-4d": lambda L: L.cdist(T(L, D3143), T(L, B25)),
    "cdist-mm": lambda L: L.cdist(T(L, C24), T(L, B25), compute_mode="use_mm_for_euclid_dist"),
    "cdist-big": lambda L: L.cdist(T(L, P30), T(L, Q28)),
    "cdist-big-nomm": lambda L: L.cdist(
        T(L, P30), T(L, Q28), compute_mode="donot_use_mm_for_euclid_dist"
    ),
    **{
        f"cdist-p{p}": (lambda L, p=p: L.cdist(T(L, C24), T(L, B25), p=p))
        for p in (0.0, 0.5, 1.0, 3.0, INF)
    },
    "cdist-f64": lambda L: L.cdist(T(L, C24, np.float64), T(L, B25, np.float64), p=1.5),
    "cdist-same": lambda L: L.cdist(T(L, C24[0]), T(L, C24[0]), p=3.0),
    "cdist-empty-rows": lambda L: L.cdist(T(L, np.zeros((0, 3))), T(L, np.zeros((2, 3)))),
    "cdist-no-cols": lambda L: L.cdist(T(L, np.zeros((2, 0))), T(L, np.zeros((3, 0)))),
}

TOL = {  # the matrix-product form of cdist loses digits for nearby points, as PyTorch's does
    "cdist-mm": 1e-5,
    "cdist-big": 1e-5,
}


def compare(actual, expected, rtol=2e-6, atol=1e-6):
    if isinstance(expected, torch.Tensor):
        assert isinstance(actual, ember.Tensor), f"expected a Tensor, got {type(actual)}"
        assert str(actual.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1], (
            f"dtype {actual.dtype} != {expected.dtype}"
        )
        assert tuple(actual.shape) == tuple(expected.shape), (
            f"shape {tuple(actual.shape)} != {tuple(expected.shape)}"
        )
        a = actual.detach().numpy()
        e = expected.detach().numpy()
        if e.dtype.kind == "f":
            np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
        else:
            np.testing.assert_array_equal(a, e)
    elif isinstance(expected, (tuple, list)):
        assert isinstance(actual, (tuple, list)), f"expected a sequence, got {type(actual)}"
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected):
            compare(a, e, rtol, atol)
        for field in getattr(expected, "_fields", ()):
            compare(getattr(actual, field), getattr(expected, field), rtol, atol)
    else:
        assert actual == expected


@pytest.mark.parametrize("name", list(FORWARD))
def test_forward(name):
    """Values, dtype and shape equal PyTorch's."""
    fn = FORWARD[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both warn for cov's zero degrees of freedom
        expected = fn(torch)
        actual = fn(ember)
    tol = TOL.get(name, 2e-6)
    compare(actual, expected, rtol=tol, atol=tol)


# -- bad inputs ----------------------------------------------------------------------------------

ERRORS = {
    "meshgrid-indexing": lambda L: L.meshgrid(T(L, [1.0]), indexing="bad"),
    "meshgrid-none": lambda L: L.meshgrid(indexing="ij"),
    "meshgrid-2d": lambda L: L.meshgrid(T(L, A34), indexing="ij"),
    "meshgrid-dtypes": lambda L: L.meshgrid(T(L, [1]), T(L, [1.0]), indexing="ij"),
    "meshgrid-list": lambda L: L.meshgrid(T(L, [1.0]), [1.0], indexing="ij"),
    "cartesian_prod-none": lambda L: L.cartesian_prod(),
    "cartesian_prod-2d": lambda L: L.cartesian_prod(T(L, A34)),
    "cartesian_prod-0d": lambda L: L.cartesian_prod(T(L, 2.0), T(L, A5)),
    "cartesian_prod-list": lambda L: L.cartesian_prod([T(L, A5)]),
    "combinations-neg": lambda L: L.combinations(T(L, A5), r=-1),
    "combinations-2d": lambda L: L.combinations(T(L, A34)),
    "combinations-0d": lambda L: L.combinations(T(L, 1.0)),
    "block_diag-3d": lambda L: L.block_diag(T(L, B25)),
    "block_diag-list": lambda L: L.block_diag([T(L, A5)]),
    "block_diag-int": lambda L: L.block_diag(T(L, A5), 3),
    "tril_indices-row": lambda L: L.tril_indices(-1, 4),
    "tril_indices-col": lambda L: L.tril_indices(3, -4),
    "tril_indices-float-dtype": lambda L: L.tril_indices(3, 4, dtype=L.float32),
    "tril_indices-int16": lambda L: L.tril_indices(3, 4, dtype=L.int16),
    "triu_indices-bool": lambda L: L.triu_indices(3, 4, dtype=L.bool),
    "triu_indices-float-row": lambda L: L.triu_indices(3.0, 4),
    "vander-N": lambda L: L.vander(T(L, A5), N=-1),
    "vander-2d": lambda L: L.vander(T(L, A34)),
    "vander-0d": lambda L: L.vander(T(L, 2.0)),
    "unravel_index-float": lambda L: L.unravel_index(T(L, 1.0), (3, 2)),
    "unravel_index-bool": lambda L: L.unravel_index(T(L, True), (3, 2)),
    "unravel_index-neg-shape": lambda L: L.unravel_index(T(L, 1), (3, -2)),
    "unravel_index-float-shape": lambda L: L.unravel_index(T(L, 1), (3.0, 2)),
    "unravel_index-tensor-shape": lambda L: L.unravel_index(T(L, [1]), T(L, [3, 2])),
    "unravel_index-zero-dim": lambda L: L.unravel_index(T(L, 0), (3, 0)),
    "isin-scalars": lambda L: L.isin(2, 3),
    "isin-bool": lambda L: L.isin(T(L, [True]), T(L, [True])),
    "isin-bool-test": lambda L: L.isin(T(L, [1, 2]), T(L, [True])),
    "isin-list": lambda L: L.isin(T(L, [1, 2]), [1]),
    "unique_consecutive-0d-dim": lambda L: L.unique_consecutive(T(L, 3), dim=0),
    "unique_consecutive-dim": lambda L: L.unique_consecutive(T(L, A34), dim=2),
    "unique_consecutive-zero": lambda L: L.unique_consecutive(
        T(L, np.zeros((2, 0))), dim=0, return_inverse=True
    ),
    "histc-nan": lambda L: L.histc(T(L, [1.0, NAN]), bins=4),
    "histc-int": lambda L: L.histc(T(L, [1, 2, 3]), bins=4),
    "histc-bins": lambda L: L.histc(T(L, A5), bins=0),
    "histc-float-bins": lambda L: L.histc(T(L, A5), bins=3.5),
    "histc-order": lambda L: L.histc(T(L, A5), bins=4, min=5, max=1),
    "histc-inf-min": lambda L: L.histc(T(L, A5), bins=3, min=INF),
    "histc-inf-data": lambda L: L.histc(T(L, [1.0, INF]), bins=3),
    "cov-bool": lambda L: L.cov(T(L, [True, False])),
    "cov-3d": lambda L: L.cov(T(L, B25)),
    "cov-fweights-float": lambda L: L.cov(T(L, A34), fweights=T(L, [1.0, 2, 1, 3])),
    "cov-fweights-neg": lambda L: L.cov(T(L, A34), fweights=T(L, [1, -2, 1, 3])),
    "cov-fweights-2d": lambda L: L.cov(T(L, A34[:1, :3]), fweights=T(L, [[1, 1, 1]])),
    "cov-fweights-numel": lambda L: L.cov(T(L, A34), fweights=T(L, [1, 2])),
    "cov-aweights-neg": lambda L: L.cov(T(L, A34), aweights=T(L, [0.5, -1.0, 2.0, 1.0])),
    "cov-aweights-numel": lambda L: L.cov(T(L, A34), aweights=T(L, [0.5, 1.0, 2.0])),
    "cov-aweights-int": lambda L: L.cov(T(L, A34), aweights=T(L, [1, 1, 2, 1], np.int32)),
    "cov-correction-float": lambda L: L.cov(T(L, A34), correction=0.5),
    "corrcoef-3d": lambda L: L.corrcoef(T(L, B25)),
    "trapezoid-x-dx": lambda L: L.trapezoid(T(L, A34), T(L, A34[0]), dx=2),
    "trapezoid-x-len": lambda L: L.trapezoid(T(L, A34), T(L, [0.0, 1])),
    "trapezoid-bool": lambda L: L.trapezoid(T(L, [True, False])),
    "trapezoid-0d": lambda L: L.trapezoid(T(L, 3.0)),
    "trapezoid-dim": lambda L: L.trapezoid(T(L, A34), dim=2),
    "trapezoid-x-float": lambda L: L.trapezoid(T(L, A34), 2.0),
    "trapz-x-len": lambda L: L.trapz(T(L, A34), T(L, [0.0, 1]), dim=-1),
    "cumulative_trapezoid-0d": lambda L: L.cumulative_trapezoid(T(L, 3.0)),
    "cumulative_trapezoid-x-len": lambda L: L.cumulative_trapezoid(T(L, A34), T(L, [0.0, 1])),
    "nanmedian-bool": lambda L: L.nanmedian(T(L, [True])),
    "nanmedian-empty-dim": lambda L: L.nanmedian(T(L, np.zeros((0, 3))), 0),
    "nanmedian-dim-range": lambda L: L.nanmedian(T(L, A34), 2),
    "nanquantile-q-range": lambda L: L.nanquantile(T(L, A34), 1.5),
    "nanquantile-int": lambda L: L.nanquantile(T(L, [1, 2]), 0.5),
    "nanquantile-empty": lambda L: L.nanquantile(T(L, np.zeros(0, np.float32)), 0.5),
    "nanquantile-mode": lambda L: L.nanquantile(T(L, A34), 0.5, interpolation="foo"),
    "nanquantile-q-2d": lambda L: L.nanquantile(T(L, A34), T(L, [[0.5]])),
    "nanquantile-q-dtype": lambda L: L.nanquantile(T(L, A34), T(L, [0.5], np.float64)),
    "frexp-int": lambda L: L.frexp(T(L, [1, 2])),
    "nextafter-int": lambda L: L.nextafter(T(L, [1, 2]), T(L, [3, 4])),
    "nextafter-scalar": lambda L: L.nextafter(T(L, [1.0]), 2.0),
    "nextafter_-bcast": lambda L: T(L, [1.0, 2]).nextafter_(T(L, [[3.0], [0.0]])),
    "index_copy-int32-index": lambda L: L.index_copy(
        T(L, A34), 0, T(L, [2, 0], np.int32), T(L, A34[:2])
    ),
    "index_copy-float-index": lambda L: L.index_copy(T(L, A34), 0, T(L, [2.0, 0]), T(L, A34[:2])),
    "index_copy-oob": lambda L: L.index_copy(T(L, A34), 0, T(L, [3, 0]), T(L, A34[:2])),
    "index_copy-neg": lambda L: L.index_copy(T(L, A34), 0, T(L, [-1, 0]), T(L, A34[:2])),
    "index_copy-2d-index": lambda L: L.index_copy(T(L, A34), 0, T(L, [[2, 0]]), T(L, A34[:2])),
    "index_copy-count": lambda L: L.index_copy(T(L, A34), 0, T(L, [2, 0, 1]), T(L, A34[:2])),
    "index_copy-dtype": lambda L: L.index_copy(
        T(L, A34), 0, T(L, [2, 0]), T(L, A34[:2], np.float64)
    ),
    "index_copy-slice": lambda L: L.index_copy(T(L, A34), 0, T(L, [2, 0]), T(L, A34[:2, :3])),
    "index_copy-slice-dim1": lambda L: L.index_copy(T(L, A34), 1, T(L, [2, 0]), T(L, arr(4, 2))),
    "index_copy-dims": lambda L: L.index_copy(T(L, A34), 0, T(L, [1]), T(L, A34[0])),
    "index_copy-dim": lambda L: L.index_copy(T(L, A34), 2, T(L, [1]), T(L, A34[:1])),
    "index_copy-list": lambda L: L.index_copy(T(L, A34), 0, [1, 0], T(L, A34[:2])),
    "fill_diagonal_-1d": lambda L: T(L, A5).fill_diagonal_(1.0),
    "fill_diagonal_-unequal": lambda L: T(L, B25[:, :, :2]).fill_diagonal_(1.0),
    "fill_diagonal_-leaf": lambda L: T(L, A34).requires_grad_().fill_diagonal_(1.0),
    "renorm-p0": lambda L: L.renorm(T(L, A34), 0, 0, 1.0),
    "renorm-pneg": lambda L: L.renorm(T(L, A34), -1, 0, 1.0),
    "renorm-maxnorm": lambda L: L.renorm(T(L, A34), 2, 0, -1.0),
    "renorm-dim": lambda L: L.renorm(T(L, A34), 2, 2, 1.0),
    "renorm-1d": lambda L: L.renorm(T(L, A5), 2, 0, 1.0),
    "renorm-0d": lambda L: L.renorm(T(L, 3.0), 2, 0, 1.0),
    "renorm-int": lambda L: L.renorm(T(L, INTS), 2, 0, 1.0),
    "cdist-cols": lambda L: L.cdist(T(L, C24), T(L, B25[:, :, :2])),
    "cdist-1d": lambda L: L.cdist(T(L, A5), T(L, A34)),
    "cdist-p": lambda L: L.cdist(T(L, C24), T(L, B25), p=-1.0),
    "cdist-mode": lambda L: L.cdist(T(L, C24), T(L, B25), compute_mode="foo"),
    "cdist-int": lambda L: L.cdist(T(L, INTS), T(L, INTS)),
    "cdist-dtypes": lambda L: L.cdist(T(L, C24), T(L, B25, np.float64)),
    "squeeze_-dim": lambda L: T(L, A34).squeeze_(5),
    "unsqueeze_-dim": lambda L: T(L, A34).unsqueeze_(3),
    "t_-3d": lambda L: T(L, B25).t_(),
    "transpose_-dim": lambda L: T(L, A34).transpose_(0, 2),
    "squeeze_-leaf": lambda L: T(L, A34[:1]).requires_grad_().squeeze_(),
    "swapdims_-leaf": lambda L: T(L, A34).requires_grad_().swapdims_(0, 1),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors(name):
    """Bad input raises the exception type PyTorch raises."""
    fn = ERRORS[name]
    with pytest.raises(Exception) as expected:  # noqa: PT011  (whatever PyTorch raises)
        fn(torch)
    with pytest.raises(type(expected.value)):
        fn(ember)


# -- gradients -----------------------------------------------------------------------------------

# name -> (function of the library and the leaves, leaf arrays, whether torch differentiates it)
GRADS = {
    "meshgrid": (lambda L, a, b: L.meshgrid(a, b, indexing="xy"), [A5, A5[:3]], True),
    "cartesian_prod": (lambda L, a, b: L.cartesian_prod(a, b), [A5[:3], A5[3:]], True),
    "combinations": (lambda L, a: L.combinations(a, 3, True), [A5[:4]], True),
    "block_diag": (lambda L, a, b, c: L.block_diag(a, b, c), [A34[:2], A5, A5[0]], True),
    "vander": (lambda L, x: L.vander(x, 4), [np.array([0.0, 1.5, -2.0])], False),
    "vander-inc": (lambda L, x: L.vander(x, increasing=True), [A5], False),
    "cov": (lambda L, x: L.cov(x), [A34], True),
    "cov-weights": (
        lambda L, x, aw: L.cov(x, fweights=L.tensor([1, 2, 1, 3]), aweights=aw),
        [A34, np.array([0.5, 1.0, 2.0, 1.0])],
        True,
    ),
    "corrcoef": (lambda L, x: L.corrcoef(x), [A34], True),
    "trapezoid": (lambda L, y, x: L.trapezoid(y, x), [A34, np.array([0.0, 1, 3, 3.5])], True),
    "trapezoid-dx": (lambda L, y: L.trapezoid(y, dx=0.5, dim=0), [A34], True),
    "cumulative_trapezoid": (
        lambda L, y, x: L.cumulative_trapezoid(y, x, dim=0),
        [A34, A34 * 2],
        True,
    ),
    "nanmedian-dim": (lambda L, x: L.nanmedian(x, 1).values, [WITH_NAN[[0, 2]]], True),
    "nanmedian-all": (lambda L, x: L.nanmedian(x), [WITH_NAN], True),
    "nanmedian-ties": (lambda L, x: L.nanmedian(x), [np.array([1.0, 2, 2, 2, NAN, 5])], True),
    "nanmedian-allnan": (lambda L, x: L.nanmedian(x), [np.array([NAN, NAN])], True),
    "nanquantile": (
        lambda L, x: L.nanquantile(x, L.tensor([0.3, 0.5], dtype=x.dtype), dim=1),
        [WITH_NAN[[0, 2]]],
        True,
    ),
    "nanquantile-midpoint": (
        lambda L, x: L.nanquantile(x, 0.4, interpolation="midpoint"),
        [A34],
        True,
    ),
    "frexp": (lambda L, x: L.frexp(x).mantissa, [np.array([3.0, 0.3, -7.0, 1e-3])], True),
    "nextafter": (lambda L, x, y: L.nextafter(x, y), [A5, A5[::-1].copy()], True),
    "index_copy": (
        lambda L, x, s: L.index_copy(x, 1, L.tensor([3, 0]), s),
        [A34, A34[:, :2]],
        True,
    ),
    "renorm": (lambda L, x: L.renorm(x, 2, 0, 2.0), [A34 * 3], True),
    "renorm-p3": (lambda L, x: L.renorm(x, 3, 1, 1.5), [A34 * 3], True),
    "renorm-zero-row": (
        lambda L, x: L.renorm(x, 2, 0, 1.0),
        [np.array([[0.0, 0.0], [3.0, 4.0]])],
        True,
    ),
    "cdist": (lambda L, a, b: L.cdist(a, b), [C24, B25], True),
    "cdist-mm": (
        lambda L, a, b: L.cdist(a, b, compute_mode="use_mm_for_euclid_dist"),
        [C24, B25],
        True,
    ),
    **{
        f"cdist-p{p}": (
            lambda L, a, b, p=p: L.cdist(a, b, p=p),
            [np.array([[0.0, 0.0], [1, 1]]), np.array([[0.0, 0.0], [2, 1], [1, 3]])],
            True,
        )
        for p in (0.0, 0.5, 1.0, 3.0, INF)
    },
    "cdist-p1.5": (lambda L, a, b: L.cdist(a, b, p=1.5), [C24, B25], True),
}


def _leaves(lib, arrays):
    return [lib.tensor(np.asarray(a, np.float64)).requires_grad_() for a in arrays]


def _flat(out) -> list:
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out]


@pytest.mark.parametrize("name", list(GRADS))
def test_grad_matches_torch(name):
    """Gradients of a weighted sum of the outputs equal PyTorch's (float64)."""
    fn, arrays, torch_grads = GRADS[name]
    if not torch_grads:
        pytest.skip("PyTorch 2.13 cannot differentiate this op (gradcheck covers ember's)")
    rng = np.random.default_rng(3)
    tleaves, eleaves = _leaves(torch, arrays), _leaves(ember, arrays)
    touts, eouts = _flat(fn(torch, *tleaves)), _flat(fn(ember, *eleaves))
    assert [t.requires_grad for t in touts] == [e.requires_grad for e in eouts]
    tloss = eloss = 0
    for t, e in zip(touts, eouts):
        w = rng.uniform(-1, 1, tuple(t.shape))
        tloss = tloss + (t * torch.from_numpy(w)).sum()
        eloss = eloss + (e * ember.tensor(w)).sum()
    tg = torch.autograd.grad(tloss, tleaves, allow_unused=True)
    eg = ember.autograd.grad(eloss, eleaves, allow_unused=True)
    for leaf, a, b in zip(tleaves, eg, tg):
        a = np.zeros(tuple(leaf.shape)) if a is None else a.numpy()
        b = np.zeros(tuple(leaf.shape)) if b is None else b.numpy()
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9, equal_nan=True)


# Points where the function is not smooth (coincident coordinates, ties, NaN medians) are
# compared with PyTorch above; finite differences get smooth inputs instead.
SMOOTH_INPUTS = {
    "nanmedian-ties": [np.array([1.0, 2.5, 2.0, 4.0, NAN, 5.0])],
    "nextafter": [A5, A5[::-1] + 0.5],
    **{n: [C24[0], B25[0]] for n in GRADS if n.startswith("cdist-p") and n != "cdist-p1.5"},
}


@pytest.mark.parametrize("name", [n for n in GRADS if n != "nanmedian-allnan"])
def test_gradcheck(name):
    """Finite differences agree with autograd, to first and second order (float64)."""
    fn, arrays, _ = GRADS[name]
    leaves = _leaves(ember, SMOOTH_INPUTS.get(name, arrays))

    def f(*xs):
        return tuple(o for o in _flat(fn(ember, *xs)) if o.requires_grad)

    assert gradcheck(f, leaves)
    assert gradgradcheck(f, leaves)


# -- in-place methods ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda x: x.squeeze_(),
        lambda x: x.squeeze_(1),
        lambda x: x.squeeze_((0, 1)),
        lambda x: x.unsqueeze_(0),
        lambda x: x.unsqueeze_(-1),
        lambda x: x[0].t_(),
        lambda x: x.transpose_(0, 2),
        lambda x: x.swapaxes_(1, 2),
        lambda x: x.swapdims_(-1, 0),
    ],
)
def test_inplace_views(call):
    """The tensor itself changes shape, shares memory, bumps its version and keeps its graph."""
    a = arr(2, 1, 3).astype(np.float64)
    results = []
    for lib in (torch, ember):
        leaf = lib.tensor(a).requires_grad_()
        y = leaf * 2
        before = y._version
        r = call(y)
        w = lib.tensor(np.arange(r.numel(), dtype=np.float64).reshape(tuple(r.shape)))
        (r * w).sum().backward()
        results.append((tuple(r.shape), r._version > before, leaf.grad.numpy()))
    (ts, tv, tg), (es, ev, eg) = results
    assert es == ts and ev == tv
    np.testing.assert_array_equal(eg, tg)


def test_inplace_view_is_self_and_shares_memory():
    x = ember.zeros(2, 1, 3)
    assert x.squeeze_() is x and x.shape == (2, 3)
    base = ember.zeros(2, 3)
    v = base[0]
    assert v.unsqueeze_(0) is v and v.shape == (1, 3) and base.shape == (2, 3)
    v.fill_(1.0)
    assert base.tolist() == [[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]
    assert base._version == v._version  # one counter for a tensor and its views
    with ember.no_grad():
        leaf = ember.ones(2, 3, requires_grad=True)
        assert leaf.t_().shape == (3, 2)  # allowed without grad mode, as in PyTorch


def test_inplace_view_invalidates_saved_tensor():
    """An op that saved the tensor sees the bumped version and refuses, as in PyTorch."""
    for lib in (torch, ember):
        x = lib.tensor(arr(2, 3)).requires_grad_()
        y = x.exp()  # saves its output
        y.t_()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


@pytest.mark.parametrize(
    "shape,wrap,value",
    [((3, 4), False, 5.0), ((7, 3), True, 2.0), ((8, 3), True, -1), ((7, 3), False, 3.0),
     ((3, 3, 3), False, 4.0), ((0, 3), True, 1.0), ((4, 3), False, "tensor")],
)  # fmt: skip
def test_fill_diagonal_(shape, wrap, value):
    a = arr(*shape)
    outs = []
    for lib in (torch, ember):
        v = lib.tensor(2.5) if value == "tensor" else value
        x = lib.tensor(a)
        assert x.fill_diagonal_(v, wrap=wrap) is x
        outs.append(x)
    compare(outs[1], outs[0])
    ints = ember.zeros(3, 3, dtype=ember.int64).fill_diagonal_(2.7)
    compare(ints, torch.zeros(3, 3, dtype=torch.int64).fill_diagonal_(2.7))


def test_fill_diagonal_grad():
    grads = []
    for lib in (torch, ember):
        x = lib.tensor(arr(3, 3).astype(np.float64)).requires_grad_()
        y = x * 2
        y.fill_diagonal_(0.0)
        (y * lib.tensor(np.arange(9.0).reshape(3, 3))).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(grads[1], grads[0])


@pytest.mark.parametrize(
    "name,call",
    [
        ("index_copy_", lambda L, x: x.index_copy_(0, L.tensor([2, 0]), x[:2] * 10)),
        ("nextafter_", lambda L, x: x.nextafter_(L.zeros(4))),
        ("renorm_", lambda L, x: x.renorm_(2, 1, 1.0)),
    ],
)
def test_inplace_methods(name, call):
    """In place: the result is the tensor itself, with the out-of-place op's values and grad."""
    a = A34.astype(np.float64) * 3
    results = []
    for lib in (torch, ember):
        leaf = lib.tensor(a).requires_grad_()
        x = leaf * 1
        assert call(lib, x) is x
        (x * lib.tensor(np.arange(12.0).reshape(3, 4))).sum().backward()
        results.append((x.detach().numpy(), leaf.grad.numpy()))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-12)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-9, atol=1e-12)


# -- odds and ends -------------------------------------------------------------------------------


def test_meshgrid_warns_without_indexing():
    with pytest.warns(UserWarning, match="indexing"):
        xs = ember.meshgrid(ember.tensor([1.0, 2.0]), ember.tensor([3.0]))
    compare(xs, torch.meshgrid(torch.tensor([1.0, 2.0]), torch.tensor([3.0]), indexing="ij"))


def test_cov_warns_for_no_degrees_of_freedom():
    for lib in (torch, ember):
        with pytest.warns(UserWarning, match="degrees of freedom"):
            lib.cov(lib.tensor([[1.0, 2.0]]), correction=2)


def test_named_results():
    r = ember.frexp(ember.tensor([8.0]))
    m, e = r
    assert (m.item(), e.item()) == (r.mantissa.item(), r.exponent.item()) == (0.5, 4)
    med = ember.tensor([[1.0, NAN, 3.0]]).nanmedian(1)
    assert med.values.item() == 1.0 and med.indices.item() == 0


def test_cartesian_prod_single_is_identity():
    x = ember.tensor([1.0, 2.0])
    assert ember.cartesian_prod(x) is x


def test_tril_indices_match_tril_mask():
    """Independent of PyTorch: the indices are exactly the non-zeros of ``tril(ones)``."""
    for row, col, off in [(4, 6, 0), (6, 4, -1), (5, 5, 2)]:
        idx = ember.tril_indices(row, col, off)
        mask = np.tril(np.ones((row, col)), off)
        assert np.array_equal(np.stack(np.nonzero(mask)), idx.numpy())
        idx = ember.triu_indices(row, col, off)
        mask = np.triu(np.ones((row, col)), off)
        assert np.array_equal(np.stack(np.nonzero(mask)), idx.numpy())


def test_docstring_examples_run():
    from ember.ops import extra

    res = doctest.testmod(
        extra, extraglobs={"ember": ember}, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert res.attempted > 20 and res.failed == 0


def test_methods_exist():
    for name in (
        "unique_consecutive histc cov corrcoef nanmedian nanquantile frexp nextafter nextafter_ "
        "index_copy index_copy_ fill_diagonal_ renorm renorm_ squeeze_ unsqueeze_ t_ transpose_ "
        "swapaxes_ swapdims_"
    ).split():
        assert hasattr(ember.Tensor, name) and hasattr(torch.Tensor, name), name


# -- the device path (tests/fake_cupy.py: CuPy's API on NumPy, as strict about host arrays) ------

DEVICE = {  # name -> function of a tensor maker ``M(array)`` that places inputs on one device
    "meshgrid": lambda M: ember.meshgrid(M(A5), M(A5[:2]), indexing="xy"),
    "cartesian_prod": lambda M: ember.cartesian_prod(M(A5[:2]), M(A5[2:])),
    "combinations": lambda M: ember.combinations(M(A5), 3, True),
    "block_diag": lambda M: ember.block_diag(M(A34), M(A5), M(np.float32(2))),
    "vander": lambda M: ember.vander(M(A5), 3),
    "unravel_index": lambda M: ember.unravel_index(M(np.array([-1, 4, 7])), (3, 2)),
    "isin": lambda M: ember.isin(M(INTS), M(np.array([1, 5]))),
    "isin-scalar": lambda M: ember.isin(3, M(INTS)),
    "unique_consecutive": lambda M: ember.unique_consecutive(M(RUNS), True, True),
    "unique_consecutive-dim": lambda M: ember.unique_consecutive(M(ROWS), True, True, dim=0),
    "histc": lambda M: ember.histc(M(A34), bins=4),
    "cov": lambda M: ember.cov(M(A34), fweights=M(np.array([1, 2, 1, 3])), aweights=M(A5[:4] ** 2)),
    "corrcoef": lambda M: ember.corrcoef(M(A34)),
    "trapezoid": lambda M: ember.trapezoid(M(A34), M(np.array([0.0, 1, 3, 3.5], np.float32))),
    "cumulative_trapezoid": lambda M: ember.cumulative_trapezoid(M(A34), dx=2.0),
    "nanmedian": lambda M: ember.nanmedian(M(WITH_NAN)),
    "nanmedian-dim": lambda M: ember.nanmedian(M(WITH_NAN), 1),
    "nanquantile": lambda M: ember.nanquantile(M(WITH_NAN), 0.4, dim=1),
    "frexp": lambda M: ember.frexp(M(A5)),
    "nextafter": lambda M: ember.nextafter(M(A5), M(A5[::-1].copy())),
    "index_copy": lambda M: ember.index_copy(M(A34), 0, M(np.array([2, 0])), M(A34[:2] * 2)),
    "fill_diagonal_": lambda M: (M(A34) * 1).fill_diagonal_(0.5),
    "renorm": lambda M: ember.renorm(M(A34), 2, 0, 1.0),
    "cdist": lambda M: ember.cdist(M(C24), M(B25), p=1.5),
    "cdist-mm": lambda M: ember.cdist(M(P30), M(Q28)),
    "squeeze_": lambda M: (M(A34[:1]) * 1).squeeze_(),
    "tril_indices": lambda M: ember.tril_indices(3, 4, device=M(A5).device),
}


@pytest.mark.parametrize("name", list(DEVICE))
def test_on_fake_cuda(name):
    """Results (and gradients) stay on the device and equal the CPU's."""
    from fake_cupy import installed

    def run(device):
        leaves = []

        def make(a):
            t = ember.tensor(np.asarray(a)).to(device)
            if t.is_floating_point():
                t.requires_grad_()
                leaves.append(t)
            return t

        outs = _flat(DEVICE[name](make))
        diff = [o for o in outs if o.requires_grad]
        grads = ember.autograd.grad(sum(o.sum() for o in diff), leaves) if diff else []
        return outs, grads

    with installed():
        cpu, dev = run("cpu"), run("cuda")
        for c, d in zip(cpu[0] + list(cpu[1]), dev[0] + list(dev[1])):
            assert d.device.type == "cuda" and d.dtype == c.dtype and d.shape == c.shape
            np.testing.assert_allclose(
                d.detach().cpu().numpy(), c.detach().numpy(), rtol=1e-6, atol=1e-6, equal_nan=True
            )
