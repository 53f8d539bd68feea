"""ember.vision.transforms on PIL images and tensors.

torchvision cannot be installed beside the pinned torch, so expectations come from PyTorch's
own ops (interpolate, grid_sample), from NumPy formulas written here, from Python's colorsys,
and from cross-checks between the PIL and tensor paths.
"""

from __future__ import annotations

import colorsys

import numpy as np
import pytest
import torch
from PIL import Image

import ember
from ember.vision import transforms as T
from ember.vision import utils as vutils
from ember.vision.transforms import functional as F

IM = F.InterpolationMode
RNG = np.random.default_rng(0)
RGB = RNG.integers(0, 256, (3, 17, 23), dtype=np.uint8)  # C x H x W
GRAY = RNG.integers(0, 256, (19, 14), dtype=np.uint8)


def pil_rgb():
    return Image.fromarray(RGB.transpose(1, 2, 0))


def chw(img) -> np.ndarray:
    """A PIL image's pixels as C x H x W."""
    arr = np.asarray(img)
    return arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)


# -- conversions ----------------------------------------------------------------------------------


def test_to_tensor_from_pil_modes():
    x = T.ToTensor()(pil_rgb())
    assert x.dtype == ember.float32 and x.shape == (3, 17, 23)
    np.testing.assert_allclose(x.numpy(), RGB / 255.0, rtol=1e-6)
    g = T.ToTensor()(Image.fromarray(GRAY))
    np.testing.assert_allclose(g.numpy()[0], GRAY / 255.0, rtol=1e-6)
    f = np.linspace(-2, 3, 12, dtype=np.float32).reshape(3, 4)
    out = T.ToTensor()(Image.frombytes("F", (4, 3), f.tobytes()))
    assert out.dtype == ember.float32 and np.array_equal(out.numpy()[0], f)
    i32 = np.arange(12, dtype=np.int32).reshape(3, 4) * 1000
    out = T.ToTensor()(Image.frombytes("I", (4, 3), i32.tobytes()))
    assert out.dtype == ember.int32 and np.array_equal(out.numpy()[0], i32)
    bw = Image.fromarray(GRAY > 128)
    assert np.array_equal(T.ToTensor()(bw).numpy()[0], (GRAY > 128).astype(np.float32))
    rgba = Image.fromarray(RNG.integers(0, 256, (4, 5, 4), dtype=np.uint8))
    assert T.ToTensor()(rgba).shape == (4, 4, 5)


def test_to_tensor_from_ndarray_and_errors():
    x = F.to_tensor(RGB.transpose(1, 2, 0))
    np.testing.assert_allclose(x.numpy(), RGB / 255.0, rtol=1e-6)
    f64 = RNG.random((4, 5, 2))
    y = F.to_tensor(f64)
    assert y.dtype == ember.float64 and np.array_equal(y.numpy(), f64.transpose(2, 0, 1))
    assert F.to_tensor(GRAY).shape == (1, 19, 14)
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        F.to_tensor([1, 2])
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 4"):
        F.to_tensor(np.zeros((1, 2, 3, 4)))


def test_pil_to_tensor():
    x = T.PILToTensor()(pil_rgb())
    assert x.dtype == ember.uint8 and np.array_equal(x.numpy(), RGB)
    with pytest.raises(TypeError, match="pic should be PIL Image"):
        F.pil_to_tensor(ember.zeros(1, 2, 2))


def test_to_pil_image():
    x = ember.tensor(RNG.random((3, 4, 5)).astype(np.float32))
    img = T.ToPILImage()(x)
    assert img.mode == "RGB" and img.size == (5, 4)
    assert np.array_equal(chw(img), (x.numpy() * 255).astype(np.uint8))  # truncation
    assert F.to_pil_image(ember.tensor(GRAY)).mode == "L"
    assert np.array_equal(np.asarray(F.to_pil_image(ember.tensor(GRAY))), GRAY)
    two = F.to_pil_image(RNG.integers(0, 256, (4, 5, 2), dtype=np.uint8))
    assert two.mode == "LA"
    four = F.to_pil_image(ember.tensor(RNG.integers(0, 256, (4, 3, 3), dtype=np.uint8)))
    assert four.mode == "RGBA"
    assert F.to_pil_image(ember.ones(1, 2, 2), mode="F").mode == "F"
    i16 = F.to_pil_image(np.arange(6, dtype=np.int16).reshape(2, 3))
    assert i16.mode == "I;16" and np.array_equal(np.asarray(i16), np.arange(6).reshape(2, 3))
    ycc = F.to_pil_image(RGB.transpose(1, 2, 0), mode="YCbCr")
    assert ycc.mode == "YCbCr" and np.array_equal(chw(ycc), RGB)
    with pytest.raises(ValueError, match="Incorrect mode"):
        F.to_pil_image(ember.tensor(GRAY), mode="F")
    with pytest.raises(ValueError, match="should not have > 4 channels"):
        F.to_pil_image(ember.zeros(5, 2, 2))
    with pytest.raises(ValueError, match="Only modes"):
        F.to_pil_image(ember.zeros(3, 2, 2), mode="RGBA")
    with pytest.raises(TypeError, match="Input type int64 is not supported"):
        F.to_pil_image(np.zeros((2, 2, 3), np.int64))
    assert np.array_equal(chw(T.ToPILImage()(T.PILToTensor()(pil_rgb()))), RGB)


def test_convert_image_dtype():
    u8 = ember.tensor(np.array([[[0, 128, 255]]], np.uint8))
    f = T.ConvertImageDtype(ember.float32)(u8)
    np.testing.assert_allclose(f.numpy(), [[[0, 128 / 255, 1.0]]], rtol=1e-6)
    back = F.convert_image_dtype(f, ember.uint8)
    assert back.tolist() == [[[0, 128, 255]]]  # x * (255 + 1 - 1e-3), truncated
    i16 = F.convert_image_dtype(u8, ember.int16)
    assert i16.tolist() == [[[0, 128 * 128, 255 * 128]]]
    with pytest.raises(RuntimeError, match="cannot be performed safely"):
        F.convert_image_dtype(f, ember.int64)


def test_normalize_matches_torch_and_validates():
    x = RNG.random((2, 3, 5, 4)).astype(np.float32)
    mean, std = (0.4, 0.5, 0.6), (0.2, 0.3, 0.25)
    ours = T.Normalize(mean, std)(ember.tensor(x))
    ref = (torch.tensor(x) - torch.tensor(mean).view(-1, 1, 1)) / torch.tensor(std).view(-1, 1, 1)
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    t = ember.tensor(x)
    F.normalize(t, mean, std, inplace=True)
    np.testing.assert_array_equal(t.numpy(), ref.numpy())
    with pytest.raises(TypeError, match="should be a float tensor. Got ember.uint8"):
        F.normalize(ember.tensor(RGB), mean, std)
    with pytest.raises(ValueError, match="Expected tensor to be a tensor image"):
        F.normalize(ember.zeros(4, 4), [0.0], [1.0])
    with pytest.raises(ValueError, match="std evaluated to zero"):
        F.normalize(ember.zeros(1, 2, 2), [0.0], [0.0])
    with pytest.raises(TypeError, match="img should be Tensor Image"):
        F.normalize(np.zeros((1, 2, 2)), [0.0], [1.0])


def test_batched_fast_path_is_identical():
    t = T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))])
    batch = RNG.integers(0, 256, (5, 6, 7), dtype=np.uint8)
    kind, out = t._batched(("pil_l", batch))
    assert kind == "tensor"
    for k in range(5):
        np.testing.assert_array_equal(out[k], t(Image.fromarray(batch[k])).numpy())
    assert T.Compose([T.RandomHorizontalFlip(), T.ToTensor()])._batched(("pil_l", batch)) is None


# -- resizing and cropping ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("antialias", [True, False])
@pytest.mark.parametrize("size", [(8, 9), (40, 31), (17, 50)])
def test_resize_tensor_matches_torch_interpolate(mode, antialias, size):
    x = RNG.random((2, 3, 17, 23)).astype(np.float32)
    ours = F.resize(ember.tensor(x), list(size), IM(mode), antialias=antialias)
    ref = torch.nn.functional.interpolate(
        torch.tensor(x), size=size, mode=mode, antialias=antialias, align_corners=False
    )
    assert ours.dtype == ember.float32
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), atol=2e-6)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
def test_resize_nearest_matches_torch(mode):
    x = RNG.random((1, 3, 17, 23)).astype(np.float32)
    for size in [(8, 9), (40, 31), (17, 5)]:
        ours = F.resize(ember.tensor(x), list(size), IM(mode))
        ref = torch.nn.functional.interpolate(torch.tensor(x), size=size, mode=mode)
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())


def test_resize_uint8_rounds_and_pil_agrees():
    ours = F.resize(ember.tensor(RGB), [8, 9]).numpy()
    ref = torch.nn.functional.interpolate(
        torch.tensor(RGB[None], dtype=torch.float32), (8, 9), mode="bilinear", antialias=True
    )[0]
    assert ours.dtype == np.uint8
    assert np.abs(ours.astype(int) - ref.round().numpy().astype(int)).max() <= 1
    pil = chw(T.Resize((8, 9))(pil_rgb())).astype(int)
    assert np.abs(pil - ours.astype(int)).max() <= 1  # Pillow works in 8-bit fixed point


def test_resize_size_semantics():
    img = ember.zeros(1, 17, 23)
    assert F.resize(img, 8).shape == (1, 8, int(8 * 23 / 17))
    assert F.resize(img, [8]).shape == (1, 8, 10)
    assert F.resize(ember.zeros(1, 23, 17), 8).shape == (1, 10, 8)
    assert F.resize(img, 8, max_size=9).shape == (1, int(9 * 8 / 10), 9)
    assert T.Resize(17)(img) is img
    assert T.Resize(8)(pil_rgb()).size == (10, 8)
    with pytest.raises(ValueError, match="max_size = 8 must be strictly greater"):
        F.resize(img, 8, max_size=8)
    with pytest.raises(ValueError, match="max_size should only be passed"):
        F.resize(img, [4, 4], max_size=8)
    with pytest.raises(TypeError, match="Size should be int or sequence"):
        T.Resize("8")
    with pytest.raises(ValueError, match="1 or 2 values"):
        T.Resize([1, 2, 3])
    with pytest.raises(ValueError, match="unsupported with Tensor input"):
        F.resize(img, 4, IM.LANCZOS)
    assert "Resize(size=8, interpolation=bilinear" in repr(T.Resize(8))


def test_center_crop_and_crop():
    x = ember.tensor(RGB)
    out = T.CenterCrop((8, 9))(x).numpy()
    top, left = int(round((17 - 8) / 2)), int(round((23 - 9) / 2))
    assert np.array_equal(out, RGB[:, top : top + 8, left : left + 9])
    assert np.array_equal(chw(T.CenterCrop((8, 9))(pil_rgb())), out)
    big = T.CenterCrop(25)(x).numpy()
    assert big.shape == (3, 25, 25)
    assert np.array_equal(big[:, 4:21, 1:24], RGB) and big[:, :4].sum() == 0
    assert np.array_equal(chw(T.CenterCrop(25)(pil_rgb())), big)
    outside = F.crop(x, -2, 20, 5, 6).numpy()
    expect = np.zeros((3, 5, 6), np.uint8)
    expect[:, 2:, :3] = RGB[:, :3, 20:]
    assert np.array_equal(outside, expect)
    assert np.array_equal(chw(F.crop(pil_rgb(), -2, 20, 5, 6)), expect)


def _find_window(big: np.ndarray, small: np.ndarray):
    h, w = small.shape[-2:]
    for i in range(big.shape[-2] - h + 1):
        for j in range(big.shape[-1] - w + 1):
            if np.array_equal(big[..., i : i + h, j : j + w], small):
                return i, j
    return None


def test_random_crop():
    ember.manual_seed(3)
    a = T.RandomCrop(10, padding=2)(ember.tensor(RGB)).numpy()
    ember.manual_seed(3)
    b = T.RandomCrop(10, padding=2)(ember.tensor(RGB)).numpy()
    assert np.array_equal(a, b) and a.shape == (3, 10, 10)
    padded = np.pad(RGB, ((0, 0), (2, 2), (2, 2)))
    assert _find_window(padded, a) is not None
    seen = {
        _find_window(padded, T.RandomCrop(10, padding=2)(ember.tensor(RGB)).numpy())
        for _ in range(20)
    }
    assert len(seen) > 5
    grown = T.RandomCrop((20, 30), pad_if_needed=True)(ember.tensor(RGB))
    assert grown.shape == (3, 20, 30)
    assert T.RandomCrop((20, 30), pad_if_needed=True, padding_mode="edge")(pil_rgb()).size == (
        30,
        20,
    )
    with pytest.raises(ValueError, match="Required crop size"):
        T.RandomCrop(30)(ember.tensor(RGB))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"size": 10, "padding": 2},
        {"size": (12, 9), "padding": (1, 2, 3, 4), "fill": 7},
        {"size": (20, 30), "pad_if_needed": True, "padding_mode": "edge"},
        {"size": 15, "padding": 3, "padding_mode": "reflect"},
        {"size": 16, "padding": [1, 2], "padding_mode": "symmetric"},
        {"size": (17, 23)},
    ],
)
def test_random_crop_batched_path_equals_one_image_at_a_time(kwargs):
    grey = RNG.integers(0, 256, (5, 17, 23), dtype=np.uint8)
    t = T.RandomCrop(**kwargs)
    ember.manual_seed(11)
    kind, batch = t._batched(("pil_l", grey))
    ember.manual_seed(11)
    one = [np.asarray(t(Image.fromarray(g))) for g in grey]
    assert kind == "pil_l" and batch.dtype == np.uint8
    np.testing.assert_array_equal(batch, np.stack(one))
    floats = grey[:, None].astype(np.float32)
    ember.manual_seed(11)
    kind, batch = t._batched(("tensor", floats))
    ember.manual_seed(11)
    one = [t(ember.tensor(f)).numpy() for f in floats]
    assert kind == "tensor"
    np.testing.assert_array_equal(batch, np.stack(one))


def test_random_crop_batched_path_errors_like_the_per_image_one():
    with pytest.raises(ValueError, match=r"Required crop size \(30, 30\)"):
        T.RandomCrop(30)._batched(("pil_l", np.zeros((2, 17, 23), np.uint8)))
    assert (
        T.RandomCrop(10, fill=(1, 2, 3))._batched(("pil_l", np.zeros((2, 17, 23), np.uint8)))
        is None
    )


def test_random_resized_crop():
    assert T.RandomResizedCrop(8)(ember.tensor(RGB)).shape == (3, 8, 8)
    assert T.RandomResizedCrop((5, 7))(pil_rgb()).size == (7, 5)
    whole = T.RandomResizedCrop((8, 9), scale=(1.0, 1.0), ratio=(23 / 17, 23 / 17))
    x = ember.tensor(RGB.astype(np.float32))
    np.testing.assert_allclose(whole(x).numpy(), F.resize(x, [8, 9]).numpy(), atol=1e-4)
    with pytest.raises(TypeError, match="Scale should be a sequence"):
        T.RandomResizedCrop(8, scale=0.5)


# -- flips, rotations, affine ---------------------------------------------------------------------


def test_flips():
    x = ember.tensor(RGB)
    assert np.array_equal(T.RandomHorizontalFlip(1.0)(x).numpy(), RGB[:, :, ::-1])
    assert np.array_equal(T.RandomVerticalFlip(1.0)(x).numpy(), RGB[:, ::-1])
    assert T.RandomHorizontalFlip(0.0)(x) is x
    assert np.array_equal(chw(T.RandomHorizontalFlip(1.0)(pil_rgb())), RGB[:, :, ::-1])
    assert np.array_equal(chw(T.RandomVerticalFlip(1.0)(pil_rgb())), RGB[:, ::-1])
    ember.manual_seed(0)
    flips = [T.RandomHorizontalFlip()(x) is not x for _ in range(200)]
    assert 70 < sum(flips) < 130


@pytest.mark.parametrize("angle,k", [(90, 1), (180, 2), (-90, 3), (270, 3)])
def test_rotate_right_angles(angle, k):
    square = RNG.integers(0, 256, (2, 9, 9), dtype=np.uint8)
    out = F.rotate(ember.tensor(square), angle).numpy()
    assert np.array_equal(out, np.rot90(square, k, axes=(1, 2)))
    wide = F.rotate(ember.tensor(RGB), angle, expand=True).numpy()
    assert np.array_equal(wide, np.rot90(RGB, k, axes=(1, 2)))
    assert np.array_equal(chw(F.rotate(pil_rgb(), angle, expand=True)), wide)


def _torch_affine(x, theta, mode):
    """grid_sample on torchvision's affine grid, built from theta (pixel units, centred)."""
    h, w = x.shape[-2:]
    a, b, c, d, e, f = theta
    norm = torch.tensor(
        [[a, b * h / w, c * 2 / w], [d * w / h, e, f * 2 / h]], dtype=torch.float64
    )[None]
    grid = torch.nn.functional.affine_grid(norm, (1, x.shape[0], h, w), align_corners=False)
    out = torch.nn.functional.grid_sample(
        torch.tensor(x, dtype=torch.float64)[None],
        grid,
        mode=mode,
        padding_mode="zeros",
        align_corners=False,
    )
    return out[0].numpy()


def _theta(angle, translate, scale, shear):
    """The output->input map written from scratch: inverse of T(t) R S Sh, about the centre."""
    rot, sx, sy = np.radians(angle), np.radians(shear[0]), np.radians(shear[1])
    rotation = np.array([[np.cos(rot), -np.sin(rot)], [np.sin(rot), np.cos(rot)]])
    shear_m = np.array([[1, 0], [-np.tan(sy), 1]]) @ np.array([[1, -np.tan(sx)], [0, 1]])
    m = np.eye(3)
    m[:2, :2] = rotation @ shear_m * scale
    m[:2, 2] = translate
    return np.linalg.inv(m)[:2].reshape(-1)


AFFINE_CASES = [
    (30, [0, 0], 1.0, [0, 0]),
    (15, [2, -1], 1.2, [10, 5]),
    (0, [0, 0], 0.8, [0, 0]),
    (-40, [3, 0], 1.0, [0, 20]),
]


@pytest.mark.parametrize("args", AFFINE_CASES)
def test_affine_matches_torch_grid_sample(args):
    x = RNG.random((3, 17, 23)).astype(np.float32)
    theta = _theta(*args)
    ours = F.affine(ember.tensor(x), *args, interpolation=IM.BILINEAR).numpy()
    np.testing.assert_allclose(ours, _torch_affine(x, theta, "bilinear"), atol=1e-6)
    near = F.affine(ember.tensor(x), *args, interpolation=IM.NEAREST).numpy()
    differ = (np.abs(near - _torch_affine(x, theta, "nearest")) > 1e-6).any(axis=0)
    # Nearest may round either way only where a source coordinate ties at .5.
    h, w = x.shape[-2:]
    gx, gy = np.meshgrid(np.arange(w) - w / 2 + 0.5, np.arange(h) - h / 2 + 0.5)
    ix = theta[0] * gx + theta[1] * gy + theta[2] + w / 2 - 0.5
    iy = theta[3] * gx + theta[4] * gy + theta[5] + h / 2 - 0.5
    tie = (np.abs(ix % 1 - 0.5) < 1e-6) | (np.abs(iy % 1 - 0.5) < 1e-6)
    assert not (differ & ~tie).any()


def test_rotate_matches_torch_grid_sample_and_pil():
    x = RNG.random((3, 17, 23)).astype(np.float32)
    ours = F.rotate(ember.tensor(x), 25.0, IM.BILINEAR).numpy()
    np.testing.assert_allclose(
        ours, _torch_affine(x, _theta(-25.0, [0, 0], 1, [0, 0]), "bilinear"), atol=1e-6
    )
    near = F.rotate(ember.tensor(RGB), 25.0).numpy().astype(int)
    pil = chw(F.rotate(pil_rgb(), 25.0)).astype(int)
    assert (near != pil).mean() < 0.05


def test_rotate_fill_and_center():
    x = ember.ones(1, 9, 9)
    out = F.rotate(x, 45, fill=0.5).numpy()
    assert out[0, 0, 0] == 0.5 and out[0, 4, 4] == 1.0
    turned = F.rotate(ember.tensor(GRAY), 90, center=[3, 5]).numpy()
    assert np.array_equal(turned, np.asarray(F.rotate(Image.fromarray(GRAY), 90, center=[3, 5])))
    # The four pixels around the corner point (3, 5) turn into each other.
    assert sorted(turned[4:6, 2:4].ravel()) == sorted(GRAY[4:6, 2:4].ravel())
    assert not np.array_equal(turned[4:6, 2:4], GRAY[4:6, 2:4])
    with pytest.raises(TypeError, match="angle should be int or float"):
        F.rotate(x, "45")


def test_random_rotation_and_affine():
    ember.manual_seed(1)
    a = T.RandomRotation(30)(ember.tensor(RGB)).numpy()
    ember.manual_seed(1)
    b = T.RandomRotation(30)(ember.tensor(RGB)).numpy()
    assert np.array_equal(a, b)
    assert np.array_equal(
        T.RandomRotation((90, 90))(ember.tensor(RGB[:, :9, :9])).numpy(),
        np.rot90(RGB[:, :9, :9], 1, axes=(1, 2)),
    )
    ident = T.RandomAffine(0)(ember.tensor(RGB)).numpy()
    assert np.array_equal(ident, RGB)
    moved = T.RandomAffine(0, translate=(0.2, 0.2))
    ember.manual_seed(2)
    out = moved(ember.tensor(RGB)).numpy()
    ember.manual_seed(2)
    _, (tx, ty), _, _ = moved.get_params([0, 0], (0.2, 0.2), None, None, [23, 17])
    assert abs(tx) <= round(0.2 * 23) and abs(ty) <= round(0.2 * 17)
    assert np.array_equal(out, F.affine(ember.tensor(RGB), 0.0, [tx, ty], 1.0, [0.0, 0.0]).numpy())
    assert T.RandomAffine(10, scale=(0.9, 1.1), shear=5)(pil_rgb()).size == (23, 17)
    for bad in (
        dict(degrees=-1),
        dict(degrees=[1, 2, 3]),
        dict(degrees=0, translate=(2, 0)),
        dict(degrees=0, scale=(0, 1)),
        dict(degrees=0, shear=[1, 2, 3]),
    ):
        with pytest.raises(ValueError):
            T.RandomAffine(**bad)


# -- colour ---------------------------------------------------------------------------------------


def test_brightness_contrast_saturation_formulas():
    x = RNG.random((3, 6, 7)).astype(np.float32)
    t = ember.tensor(x)
    np.testing.assert_allclose(
        F.adjust_brightness(t, 1.7).numpy(), np.clip(1.7 * x, 0, 1), rtol=1e-6
    )
    gray = 0.2989 * x[0] + 0.587 * x[1] + 0.114 * x[2]
    expect = np.clip(0.3 * x + 0.7 * gray.mean(), 0, 1)
    np.testing.assert_allclose(F.adjust_contrast(t, 0.3).numpy(), expect, rtol=1e-5)
    expect = np.clip(2.0 * x - 1.0 * gray, 0, 1)
    np.testing.assert_allclose(F.adjust_saturation(t, 2.0).numpy(), expect, atol=1e-6)
    np.testing.assert_allclose(F.rgb_to_grayscale(t).numpy()[0], gray, rtol=1e-6)
    assert F.rgb_to_grayscale(t, 3).shape == (3, 6, 7)
    with pytest.raises(ValueError, match="brightness_factor \\(-1\\) is not non-negative"):
        F.adjust_brightness(t, -1)


def test_colour_ops_pil_and_uint8_tensor_agree():
    u8 = ember.tensor(RGB)
    for fn, factor in (
        (F.adjust_brightness, 1.3),
        (F.adjust_saturation, 0.4),
        (F.adjust_contrast, 0.6),
    ):
        ours = fn(u8, factor).numpy().astype(int)
        pil = chw(fn(pil_rgb(), factor)).astype(int)
        assert np.abs(ours - pil).max() <= 2, fn.__name__
    ours = F.rgb_to_grayscale(u8).numpy().astype(int)
    assert np.abs(ours - chw(T.Grayscale()(pil_rgb())).astype(int)).max() <= 1
    assert T.Grayscale(3)(pil_rgb()).mode == "RGB"


def test_adjust_hue_matches_colorsys():
    x = RNG.random((3, 4, 5)).astype(np.float32)
    out = F.adjust_hue(ember.tensor(x), 0.2).numpy()
    for i in range(4):
        for j in range(5):
            h, s, v = colorsys.rgb_to_hsv(*x[:, i, j])
            expect = colorsys.hsv_to_rgb((h + 0.2) % 1.0, s, v)
            np.testing.assert_allclose(out[:, i, j], expect, atol=1e-5)
    pil = chw(F.adjust_hue(pil_rgb(), -0.25)).astype(int)
    ours = F.adjust_hue(ember.tensor(RGB), -0.25).numpy().astype(int)
    assert np.median(np.abs(pil - ours)) <= 3  # Pillow quantises hue to 8 bits
    with pytest.raises(ValueError, match="is not in \\[-0.5, 0.5\\]"):
        F.adjust_hue(ember.tensor(x), 0.6)


def test_color_jitter():
    jit = T.ColorJitter(brightness=0.5, contrast=0.5, saturation=0.5, hue=0.1)
    assert jit.brightness == (0.5, 1.5) and jit.hue == (-0.1, 0.1)
    ember.manual_seed(4)
    a = jit(ember.tensor(RGB)).numpy()
    ember.manual_seed(4)
    b = jit(ember.tensor(RGB)).numpy()
    assert np.array_equal(a, b) and a.dtype == np.uint8 and not np.array_equal(a, RGB)
    assert jit(pil_rgb()).size == (23, 17)
    assert T.ColorJitter()(ember.tensor(RGB)).numpy().tolist() == RGB.tolist()
    with pytest.raises(ValueError, match="brightness values should be between"):
        T.ColorJitter(brightness=(2, 1))
    with pytest.raises(ValueError, match="If hue is a single number, it must be non negative"):
        T.ColorJitter(hue=-0.1)
    with pytest.raises(ValueError, match="hue values should be between"):
        T.ColorJitter(hue=0.7)


# -- padding and composition ----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
@pytest.mark.parametrize("padding", [2, [1, 3], [1, 2, 3, 4]])
def test_pad_matches_numpy_and_pil(mode, padding):
    p = F._parse_padding(padding)
    widths = ((0, 0), (p[1], p[3]), (p[0], p[2]))
    kw = {"constant_values": 7} if mode == "constant" else {}
    expect = np.pad(RGB, widths, mode=mode, **kw)
    fill = 7 if mode == "constant" else 0
    assert np.array_equal(T.Pad(padding, fill, mode)(ember.tensor(RGB)).numpy(), expect)
    assert np.array_equal(chw(T.Pad(padding, fill, mode)(pil_rgb())), expect)


def test_pad_fill_tuple_negative_and_errors():
    out = chw(F.pad(pil_rgb(), 1, fill=(1, 2, 3)))
    assert out[:, 0, 0].tolist() == [1, 2, 3]
    t = F.pad(ember.tensor(RGB), 1, fill=(1, 2, 3)).numpy()
    assert t[:, 0, 0].tolist() == [1, 2, 3] and np.array_equal(t[:, 1:-1, 1:-1], RGB)
    assert np.array_equal(F.pad(ember.tensor(RGB), [-1, -2]).numpy(), RGB[:, 2:-2, 1:-1])
    with pytest.raises(TypeError, match="Got inappropriate padding arg"):
        T.Pad("1")
    with pytest.raises(ValueError, match="Padding must be an int or a 1, 2, or 4 element"):
        T.Pad([1, 2, 3])
    with pytest.raises(ValueError, match="Padding mode should be either"):
        T.Pad(1, padding_mode="wrap")


def test_lambda_apply_choice_order_and_repr():
    add1, times2 = T.Lambda(lambda x: x + 1), T.Lambda(lambda x: x * 2)
    assert T.Compose([add1, times2])(3) == 8
    assert T.RandomApply([add1, times2], p=1.0)(3) == 8
    assert T.RandomApply([add1], p=0.0)(3) == 3
    assert T.RandomChoice([add1, times2], p=[0.0, 1.0])(5) == 10
    assert {T.RandomOrder([add1, times2])(3) for _ in range(30)} == {7, 8}
    with pytest.raises(TypeError, match="Argument lambd should be callable"):
        T.Lambda(3)
    with pytest.raises(TypeError, match="Argument p should be a sequence"):
        T.RandomChoice([add1], p=1.0)
    text = repr(T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.25,))]))
    assert text == "Compose(\n    ToTensor()\n    Normalize(mean=(0.5,), std=(0.25,))\n)"


def test_random_transforms_follow_manual_seed_in_workers():
    from ember.utils.data import DataLoader, Dataset

    class Jittered(Dataset):
        t = T.Compose([T.RandomCrop(10, padding=3), T.RandomHorizontalFlip()])

        def __len__(self):
            return 4

        def __getitem__(self, i):
            return self.t(ember.tensor(RGB))

    def run(seed):
        loader = DataLoader(
            Jittered(), batch_size=2, num_workers=2, generator=ember.Generator().manual_seed(seed)
        )
        return [b.numpy() for b in loader]

    a, b = run(0), run(0)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], a[1]), "workers must not repeat each other's draws"


# -- make_grid and save_image ---------------------------------------------------------------------


def _grid_by_hand(imgs, nrow, padding, pad_value):
    b, c, h, w = imgs.shape
    cols = min(nrow, b)
    rows = -(-b // cols)
    out = np.full(
        (c, rows * (h + padding) + padding, cols * (w + padding) + padding), pad_value, imgs.dtype
    )
    for k in range(b):
        r, q = divmod(k, cols)
        y, x = padding + r * (h + padding), padding + q * (w + padding)
        out[:, y : y + h, x : x + w] = imgs[k]
    return out


def test_make_grid():
    imgs = RNG.random((5, 3, 4, 6)).astype(np.float32)
    got = vutils.make_grid(ember.tensor(imgs), nrow=2, padding=1, pad_value=0.5).numpy()
    assert np.array_equal(got, _grid_by_hand(imgs, 2, 1, 0.5))
    gray = RNG.random((3, 1, 4, 4)).astype(np.float32)
    got = vutils.make_grid([ember.tensor(g) for g in gray], padding=2).numpy()
    assert np.array_equal(got, _grid_by_hand(np.repeat(gray, 3, axis=1), 8, 2, 0.0))
    one = vutils.make_grid(ember.tensor(imgs[:1]))
    assert np.array_equal(one.numpy(), imgs[0])
    scaled = vutils.make_grid(ember.tensor(imgs * 4 - 1), normalize=True, padding=0).numpy()
    lo, hi = (imgs * 4 - 1).min(), (imgs * 4 - 1).max()
    expect = _grid_by_hand((imgs * 4 - 1 - lo) / (hi - lo), 8, 0, 0.0)
    np.testing.assert_allclose(scaled, expect, rtol=1e-5, atol=1e-6)
    each = vutils.make_grid(ember.tensor(imgs), normalize=True, scale_each=True, padding=0)
    tiles = each.numpy()[:, :, :6]
    assert tiles.min() == 0.0 and abs(tiles.max() - 1.0) < 1e-6
    clipped = vutils.make_grid(ember.tensor(imgs), normalize=True, value_range=(0.25, 0.75))
    assert clipped.numpy().min() >= 0 and clipped.numpy().max() <= 1
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        vutils.make_grid(ember.tensor(imgs), normalize=True, value_range=[0, 1])


def test_save_image(tmp_path):
    imgs = RNG.random((4, 3, 5, 5)).astype(np.float32)
    path = tmp_path / "grid.png"
    vutils.save_image(ember.tensor(imgs), path, nrow=2, padding=1)
    expect = np.clip(_grid_by_hand(imgs, 2, 1, 0.0) * 255 + 0.5, 0, 255).astype(np.uint8)
    assert np.array_equal(chw(Image.open(path)), expect)
