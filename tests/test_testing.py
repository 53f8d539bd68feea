import numpy as np
import pytest
import torch

import ember

NAN, INF = float("nan"), float("inf")


def _cases(m):
    # (name, actual, expected, kwargs), built with `m` = torch or ember so both see equal inputs
    return [
        ("tensor vs float", m.tensor(1.0), 1.0, {}),
        ("int vs float", 1, 1.0, {}),
        ("float within tol", 1.0, 1.0 + 1e-8, {}),
        ("float outside tol", 1.0, 1.1, {}),
        ("int scalars", 1, 2, {}),
        ("ndarray vs tensor", np.array([1.0]), m.tensor([1.0], dtype=m.float64), {}),
        ("ndarrays", np.array([1.0]), np.array([1.0]), {}),
        ("ndarray dtypes", np.array([1.0], np.float32), np.array([1.0]), {}),
        ("list vs tuple", [1.0, 2.0], (1.0, 2.0), {}),
        ("sequence lengths", [1, 2], [1], {}),
        ("mappings", {"a": 1}, {"a": 1}, {}),
        ("mapping keys", {"a": 1}, {"b": 1}, {}),
        ("strings", "a", "a", {}),
        ("dtypes", m.tensor([1.0]), m.tensor([1.0], dtype=m.float64), {}),
        (
            "dtypes unchecked",
            m.tensor([1.0]),
            m.tensor([1.0], dtype=m.float64),
            {"check_dtype": False},
        ),
        ("shapes", m.ones(2), m.ones(3), {}),
        ("strides unchecked", m.ones(2, 3).t(), m.ones(3, 2), {}),
        ("strides checked", m.ones(2, 3).t(), m.ones(3, 2), {"check_stride": True}),
        ("nan", m.tensor([NAN]), m.tensor([NAN]), {}),
        ("nan equal_nan", m.tensor([NAN]), m.tensor([NAN]), {"equal_nan": True}),
        ("ints", m.tensor([1, 2, 3]), m.tensor([1, 2, 4]), {}),
        ("floats", m.tensor([1.0, 2.0, 3.0, 4.0]), m.tensor([1.0, 2.5, 3.0, 4.1]), {}),
        ("bools", m.tensor([True, False]), m.tensor([True, True]), {}),
        ("0-d", m.tensor(1.0), m.tensor(2.0), {}),
        ("2-d", m.tensor([[1.0, 2.0], [3.0, 4.0]]), m.tensor([[1.0, 2.0], [3.0, 5.0]]), {}),
        ("inf", m.tensor([INF]), m.tensor([INF]), {}),
        ("inf vs -inf", m.tensor([INF]), m.tensor([-INF]), {}),
        ("tensor vs list", m.tensor([1.0]), [1.0], {}),
        ("numpy scalar vs float", np.float64(1.0), 1.0, {}),
        ("nested", [m.tensor([1.0, 2.0])], [m.tensor([1.0, 3.0])], {}),
        ("nested mapping", {"w": [1, m.tensor([0.0])]}, {"w": [1, m.tensor([1.0])]}, {}),
        ("float16 tol", m.tensor([1.0], dtype=m.float16), m.tensor([1.0005], dtype=m.float16), {}),
        ("float32 rtol", m.tensor([100.0]), m.tensor([100.0 + 2e-4]), {}),
        ("float32 atol", m.tensor([0.0]), m.tensor([2e-5]), {}),
        ("float64 tol", m.tensor(np.array([1.0])), m.tensor(np.array([1.0 + 5e-7])), {}),
        ("explicit tol", m.tensor([1.0]), m.tensor([1.05]), {"rtol": 0.1, "atol": 0.0}),
        ("rtol without atol", 1.0, 1.0, {"rtol": 1e-3}),
        ("zero expected", m.tensor([1.0, 0.0]), m.tensor([0.0, 0.0]), {}),
        ("complex", m.tensor([1 + 1j]), m.tensor([1 + 1.1j]), {}),
        ("None", None, None, {}),
        ("None vs 1", None, 1, {}),
        ("booleans", True, False, {}),
        ("msg", m.tensor([1.0]), m.tensor([2.0]), {"msg": "custom"}),
    ]


def _outcome(assert_close, actual, expected, kw):
    try:
        assert_close(actual, expected, **kw)
    except Exception as e:  # noqa: BLE001  (the type is what is compared)
        return type(e), str(e).replace("torch.", "").replace("ember.", "")
    return None, ""


@pytest.mark.parametrize("i", range(len(_cases(torch))), ids=[c[0] for c in _cases(torch)])
def test_assert_close_passes_and_fails_like_pytorch(i):
    name, *t_args = _cases(torch)[i]
    _, *e_args = _cases(ember)[i]
    t_type, t_msg = _outcome(torch.testing.assert_close, *t_args)
    e_type, e_msg = _outcome(ember.testing.assert_close, *e_args)
    assert e_type is t_type, (e_msg, t_msg)
    if t_type is AssertionError and name != "complex":
        # the same message, up to the module name in dtype reprs (complex differences are
        # rounded differently in float32)
        assert e_msg == t_msg


def test_callable_msg_sees_the_generated_message():
    with pytest.raises(AssertionError, match=r"^prefix Tensor-likes are not close!"):
        ember.testing.assert_close(
            ember.tensor([1.0, 2.0]), ember.tensor([1.0, 3.0]), msg=lambda m: "prefix " + m
        )


@pytest.mark.parametrize(
    "dtype, low, high, lo, hi",
    [
        ("float32", None, None, -9, 9),
        ("float64", -1.0, 2.5, -1.0, 2.5),
        ("float16", None, None, -9, 9),
        ("int64", None, None, -9, 10),
        ("int8", -300, 300, -128, 128),
        ("uint8", None, None, 0, 10),
        ("bool", None, None, 0, 2),
        ("complex64", 0.0, 1.0, 0.0, 1.0),
    ],
)
def test_make_tensor_shape_dtype_and_range(dtype, low, high, lo, hi):
    t = ember.testing.make_tensor(
        4, 50, dtype=getattr(ember, dtype), device="cpu", low=low, high=high
    )
    ref = torch.testing.make_tensor(
        4, 50, dtype=getattr(torch, dtype), device="cpu", low=low, high=high
    )
    assert tuple(t.shape) == tuple(ref.shape) == (4, 50)
    assert str(t.dtype).split(".")[1] == str(ref.dtype).split(".")[1]
    v = t.numpy()
    parts = (v.real, v.imag) if np.iscomplexobj(v) else (v.astype(np.float64),)
    for p in parts:
        assert p.min() >= lo and p.max() < hi
        assert p.max() > p.min()  # not constant


def test_make_tensor_shape_forms_requires_grad_and_errors():
    t = ember.testing.make_tensor((2, 3), dtype=ember.float32, device="cpu", requires_grad=True)
    assert tuple(t.shape) == (2, 3) and t.requires_grad
    nc = ember.testing.make_tensor(3, 4, dtype=ember.float32, device="cpu", noncontiguous=True)
    assert tuple(nc.shape) == (3, 4) and not nc.is_contiguous()
    for kwargs, exc in [
        (dict(dtype="int64", requires_grad=True), ValueError),
        (dict(dtype="float32", low=2.0, high=1.0), ValueError),
        (dict(dtype="float32", low=float("nan")), ValueError),
        (dict(dtype="uint8", low=-20, high=-10), ValueError),
    ]:
        name = kwargs.pop("dtype")
        with pytest.raises(exc):
            torch.testing.make_tensor(2, dtype=getattr(torch, name), device="cpu", **kwargs)
        with pytest.raises(exc):
            ember.testing.make_tensor(2, dtype=getattr(ember, name), device="cpu", **kwargs)
