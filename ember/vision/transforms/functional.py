"""Image transforms as functions, for PIL images and for tensor images (``[..., C, H, W]``).

PIL images go through Pillow's own operations; tensor images through NumPy/CuPy code that
follows torchvision's tensor semantics (resampling as ``torch.nn.functional.interpolate``,
rotations and affine maps as ``grid_sample`` with ``align_corners=False``).
"""

from __future__ import annotations

import enum
import math
import numbers
import sys
import warnings
from collections.abc import Sequence

import numpy as np

import ember
from ember._tensor import Tensor, _make
from ember.backend import xp_of

__all__ = [
    "InterpolationMode",
    "to_tensor",
    "pil_to_tensor",
    "to_pil_image",
    "convert_image_dtype",
    "normalize",
    "resize",
    "crop",
    "center_crop",
    "resized_crop",
    "hflip",
    "vflip",
    "pad",
    "rotate",
    "affine",
    "adjust_brightness",
    "adjust_contrast",
    "adjust_saturation",
    "adjust_hue",
    "rgb_to_grayscale",
    "to_grayscale",
    "get_dimensions",
    "get_image_size",
    "get_image_num_channels",
    "five_crop",
    "ten_crop",
    "invert",
    "erase",
]


class InterpolationMode(enum.Enum):
    """Resampling filters, as ``torchvision.transforms.InterpolationMode``."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_PIL_FILTERS = {
    "nearest": 0,
    "nearest-exact": 0,
    "lanczos": 1,
    "bilinear": 2,
    "bicubic": 3,
    "box": 4,
    "hamming": 5,
}
_FROM_PIL_INT = {
    0: InterpolationMode.NEAREST,
    1: InterpolationMode.LANCZOS,
    2: InterpolationMode.BILINEAR,
    3: InterpolationMode.BICUBIC,
    4: InterpolationMode.BOX,
    5: InterpolationMode.HAMMING,
}


def _mode(interpolation) -> InterpolationMode:
    if isinstance(interpolation, InterpolationMode):
        return interpolation
    if isinstance(interpolation, int) and interpolation in _FROM_PIL_INT:
        warnings.warn(
            "Argument 'interpolation' of type int is deprecated. Please, use "
            "InterpolationMode enum.",
            stacklevel=3,
        )
        return _FROM_PIL_INT[interpolation]
    if isinstance(interpolation, str):
        return InterpolationMode(interpolation)
    raise TypeError(
        "Argument interpolation should be a InterpolationMode or a corresponding "
        f"Pillow integer constant, got {interpolation!r}"
    )


# -- image kinds ----------------------------------------------------------------------------------


def _is_pil(img) -> bool:
    # Pillow stays optional: an object can only be a PIL image if PIL.Image was imported.
    mod = sys.modules.get("PIL.Image")
    return mod is not None and isinstance(img, mod.Image)


def _pil():
    try:
        from PIL import Image
    except ImportError as e:  # pragma: no cover - Pillow is installed with ember[vision]
        raise ImportError("this transform needs Pillow for PIL images: pip install Pillow") from e
    return Image


def _check_img(img) -> None:
    if not (_is_pil(img) or isinstance(img, Tensor)):
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")


def _check_tensor_image(img: Tensor) -> None:
    if img.ndim < 2:
        raise TypeError(
            f"Tensor is not a torch image: expected at least 2 dimensions, got {img.ndim}"
        )


def get_dimensions(img) -> list[int]:
    """``[channels, height, width]`` of a PIL or tensor image.

    Example:
        >>> get_dimensions(ember.zeros(3, 4, 5))
        [3, 4, 5]
    """
    if _is_pil(img):
        return [len(img.getbands()), img.height, img.width]
    _check_img(img)
    _check_tensor_image(img)
    c = 1 if img.ndim == 2 else img.shape[-3]
    return [c, img.shape[-2], img.shape[-1]]


def get_image_size(img) -> list[int]:
    """``[width, height]`` of a PIL or tensor image."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img) -> int:
    """The number of channels of a PIL or tensor image."""
    return get_dimensions(img)[0]


def _float_np(t: Tensor):
    return t._data.dtype if t._data.dtype.kind == "f" else np.dtype(np.float32)


def _cast_back(arr, dtype):
    """A float result back to the image dtype, rounding for integers as torchvision does."""
    if dtype.kind in "iu":
        xp = xp_of(arr)
        info = np.iinfo(dtype)
        arr = xp.clip(xp.round(arr), info.min, info.max)
    return arr.astype(dtype, copy=False)


# -- conversions ----------------------------------------------------------------------------------


def _default_float():
    return ember.get_default_dtype()


def to_tensor(pic) -> Tensor:
    """A PIL image or ``H x W x C`` ndarray as a ``C x H x W`` tensor; uint8 scaled to [0, 1].

    Example:
        >>> to_tensor(np.full((2, 2, 1), 255, np.uint8)).tolist()
        [[[1.0, 1.0], [1.0, 1.0]]]
    """
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
        arr = np.ascontiguousarray(arr.transpose(2, 0, 1))
    elif _is_pil(pic):
        np_type = {"I": np.int32, "I;16": np.int16, "F": np.float32}.get(pic.mode, np.uint8)
        arr = np.array(pic, np_type, copy=True)
        if pic.mode == "1":
            arr = 255 * arr
        arr = arr.reshape(pic.height, pic.width, len(pic.getbands()))
        arr = np.ascontiguousarray(arr.transpose(2, 0, 1))
    else:
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if arr.dtype == np.uint8:
        fdt = _default_float().np
        return _make(arr.astype(fdt) / fdt.type(255))
    return _make(arr)


def pil_to_tensor(pic) -> Tensor:
    """A PIL image as a ``C x H x W`` tensor of its own dtype, without scaling.

    Example:
        >>> from PIL import Image
        >>> pil_to_tensor(Image.new("L", (3, 2), 7)).shape
        ember.Size([1, 2, 3])
    """
    if not _is_pil(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    arr = np.array(pic, copy=True)
    arr = arr.reshape(pic.height, pic.width, len(pic.getbands()))
    return _make(np.ascontiguousarray(arr.transpose(2, 0, 1)))


_ONE_CHANNEL_MODES = {
    np.dtype(np.uint8): "L",
    np.dtype(np.int16): "I;16",
    np.dtype(np.int32): "I",
    np.dtype(np.float32): "F",
}
_MULTI_MODES = {2: ["LA"], 3: ["RGB", "YCbCr", "HSV"], 4: ["RGBA", "CMYK", "RGBX"]}


def to_pil_image(pic, mode: str | None = None):
    """A ``C x H x W`` tensor or ``H x W x C`` ndarray as a PIL image.

    Float tensors are scaled by 255 and truncated to uint8 (unless ``mode="F"``).

    Example:
        >>> to_pil_image(ember.zeros(3, 4, 5)).size
        (5, 4)
    """
    Image = _pil()
    if isinstance(pic, Tensor):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        if pic.ndim == 2:
            pic = pic.unsqueeze(0)
        if pic.shape[-3] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {pic.shape[-3]} channels.")
        arr = pic.detach().cpu().numpy()
        if arr.dtype.kind == "f" and mode != "F":
            arr = (arr * 255).astype(np.uint8)
        npimg = np.transpose(arr, (1, 2, 0))
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        npimg = pic[:, :, None] if pic.ndim == 2 else pic
        if npimg.shape[-1] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {npimg.shape[-1]} channels.")
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")

    channels = npimg.shape[2]
    if channels == 1:
        expected = _ONE_CHANNEL_MODES.get(npimg.dtype)
        npimg = npimg[:, :, 0]
        if mode is not None and mode != expected:
            raise ValueError(
                f"Incorrect mode ({mode}) supplied for input type {npimg.dtype}. "
                f"Should be {expected}"
            )
        mode = expected
    else:
        allowed = _MULTI_MODES[channels]
        if mode is not None and mode not in allowed:
            raise ValueError(f"Only modes {allowed} are supported for {channels}D inputs")
        if npimg.dtype == np.uint8 and mode is None:
            mode = allowed[0]
    if mode is None:
        raise TypeError(f"Input type {npimg.dtype} is not supported")
    if mode == "I;16":
        npimg = npimg.astype("<u2")
    npimg = np.ascontiguousarray(npimg)
    return Image.frombytes(mode, (npimg.shape[1], npimg.shape[0]), npimg.tobytes())


def convert_image_dtype(image: Tensor, dtype=ember.float32) -> Tensor:
    """Convert a tensor image's dtype, rescaling values (uint8 255 <-> float 1.0).

    Example:
        >>> convert_image_dtype(ember.tensor([255], dtype=ember.uint8)).tolist()
        [1.0]
    """
    if not isinstance(image, Tensor):
        raise TypeError("Input img should be Tensor Image")
    src, dst = image._data.dtype, np.dtype(dtype.np)
    if src == dst:
        return image
    arr = image._data
    xp = xp_of(arr)
    if src.kind == "f":
        if dst.kind == "f":
            return _make(arr.astype(dst))
        if (src == np.float32 and dst in (np.int32, np.int64)) or (
            src == np.float64 and dst == np.int64
        ):
            raise RuntimeError(
                f"The cast from {image.dtype} to {dtype} cannot be performed safely."
            )
        eps = 1e-3
        top = float(np.iinfo(dst).max)
        return _make((arr * (top + 1.0 - eps)).astype(dst))
    top_in = float(np.iinfo(src).max)
    if dst.kind == "f":
        return _make(arr.astype(dst) / dst.type(top_in))
    top_out = float(np.iinfo(dst).max)
    if top_in > top_out:
        factor = int((top_in + 1) // (top_out + 1))
        return _make(xp.floor_divide(arr, factor).astype(dst))
    factor = int((top_out + 1) // (top_in + 1))
    return _make(arr.astype(dst) * dst.type(factor))


def normalize(
    tensor: Tensor, mean: Sequence[float], std: Sequence[float], inplace: bool = False
) -> Tensor:
    """``(tensor - mean) / std`` per channel of a float tensor image.

    Example:
        >>> normalize(ember.ones(1, 2, 2), [0.5], [0.5]).tolist()
        [[[1.0, 1.0], [1.0, 1.0]]]
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError(
            "Expected tensor to be a tensor image of size (..., C, H, W). Got "
            f"tensor.size() = {tensor.size()}"
        )
    m, s = _mean_std(tensor._data.dtype, mean, std)
    if not isinstance(tensor._data, np.ndarray):
        m, s = xp_of(tensor._data).asarray(m), xp_of(tensor._data).asarray(s)
    m, s = _make(m), _make(s)
    if inplace:
        return tensor.sub_(m).div_(s)
    return tensor.sub(m).div(s)


def _mean_std(dtype, mean, std):
    m = np.asarray(mean._data if isinstance(mean, Tensor) else mean, dtype=dtype)
    s = np.asarray(std._data if isinstance(std, Tensor) else std, dtype=dtype)
    if (s == 0).any():
        raise ValueError(
            f"std evaluated to zero after conversion to {ember._dtype._NP_TO_DTYPE[dtype]}"
            ", leading to division by zero."
        )
    if m.ndim == 1:
        m = m.reshape(-1, 1, 1)
    if s.ndim == 1:
        s = s.reshape(-1, 1, 1)
    return m, s


# -- geometry -------------------------------------------------------------------------------------


def _output_size(h: int, w: int, size, max_size):
    if isinstance(size, int):
        size = [size]
    if size is not None and len(size) == 2:
        if max_size is not None:
            raise ValueError(
                "max_size should only be passed if size specifies the length of the "
                "smaller edge, i.e. size should be an int or a sequence of length 1 "
                "in torchscript mode."
            )
        return [size[0], size[1]]
    short, long = (w, h) if w <= h else (h, w)
    if size is None:
        if max_size is None:
            raise ValueError("max_size must be an integer when size is None")
        new_short, new_long = int(max_size * short / long), max_size
    else:
        requested = size[0]
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(
                    f"max_size = {max_size} must be strictly greater than the "
                    f"requested size for the smaller edge size = {size}"
                )
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    return [new_h, new_w]


def _cubic(x, a):
    x = np.abs(x)
    return np.where(
        x <= 1,
        ((a + 2) * x - (a + 3)) * x * x + 1,
        np.where(x < 2, ((a * x - 5 * a) * x + 8 * a) * x - 4 * a, 0.0),
    )


def _resample_matrix(n_in: int, n_out: int, mode: str, antialias: bool) -> np.ndarray:
    """The ``n_out x n_in`` matrix that resamples one axis as ``interpolate`` does."""
    scale = n_in / n_out
    dst = np.arange(n_out, dtype=np.float64)
    mat = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    if mode in ("nearest", "nearest-exact"):
        src = np.floor((dst + (0.5 if mode == "nearest-exact" else 0.0)) * scale).astype(int)
        mat[rows, np.minimum(src, n_in - 1)] = 1.0
        return mat
    if antialias:
        # PIL's and interpolate(antialias=True)'s filter: widened by the scale when shrinking.
        support_base, a = (1.0, None) if mode == "bilinear" else (2.0, -0.5)
        support = support_base * max(scale, 1.0)
        invscale = 1.0 / max(scale, 1.0)
        for i in range(n_out):
            center = scale * (i + 0.5)
            lo = max(int(center - support + 0.5), 0)
            hi = min(int(center + support + 0.5), n_in)
            x = (np.arange(lo, hi) - center + 0.5) * invscale
            w = np.maximum(0.0, 1.0 - np.abs(x)) if a is None else _cubic(x, a)
            total = w.sum()
            mat[i, lo:hi] = w / total if total != 0 else w
        return mat
    src = scale * (dst + 0.5) - 0.5
    if mode == "bilinear":
        src = np.maximum(src, 0.0)
        i0 = np.floor(src).astype(int)
        frac = src - i0
        i0 = np.minimum(i0, n_in - 1)
        i1 = np.minimum(i0 + 1, n_in - 1)
        np.add.at(mat, (rows, i0), 1.0 - frac)
        np.add.at(mat, (rows, i1), frac)
        return mat
    i0 = np.floor(src).astype(int)
    t = src - i0
    for k in range(-1, 3):
        idx = np.clip(i0 + k, 0, n_in - 1)
        np.add.at(mat, (rows, idx), _cubic(t - k, -0.75))
    return mat


def _resize_tensor(img: Tensor, out_hw, mode: str, antialias: bool) -> Tensor:
    if mode not in ("nearest", "nearest-exact", "bilinear", "bicubic"):
        raise ValueError(f"Interpolation mode '{mode}' is unsupported with Tensor input")
    arr = img._data
    xp = xp_of(arr)
    h, w = arr.shape[-2:]
    oh, ow = out_hw
    aa = antialias and mode in ("bilinear", "bicubic")
    mh = xp.asarray(_resample_matrix(h, oh, mode, aa))
    mw = xp.asarray(_resample_matrix(w, ow, mode, aa))
    out = xp.matmul(xp.matmul(mh, arr.astype(np.float64)), mw.T)
    if mode == "bicubic" and arr.dtype == np.uint8:
        out = xp.clip(out, 0, 255)
    return _make(_cast_back(out.astype(_float_np(img)), arr.dtype))


def resize(
    img,
    size,
    interpolation=InterpolationMode.BILINEAR,
    max_size: int | None = None,
    antialias: bool | None = True,
):
    """Resize to ``size`` (``[h, w]``, or the smaller edge's length when an int).

    Example:
        >>> resize(ember.zeros(1, 4, 8), 2).shape
        ember.Size([1, 2, 4])
    """
    mode = _mode(interpolation)
    if isinstance(size, list | tuple):
        if len(size) not in (1, 2):
            raise ValueError(
                "Size must be an int or a 1 or 2 element tuple/list, not a "
                f"{len(size)} element tuple/list"
            )
    elif not isinstance(size, int) and size is not None:
        raise TypeError(f"Size should be int or sequence. Got {type(size)}")
    _, h, w = get_dimensions(img)
    out = _output_size(h, w, size, max_size)
    if out == [h, w]:
        return img
    if _is_pil(img):
        if antialias is False:
            warnings.warn(
                "Anti-alias option is always applied for PIL Image input. Argument "
                "antialias is ignored.",
                stacklevel=2,
            )
        return img.resize((out[1], out[0]), _PIL_FILTERS[mode.value])
    return _resize_tensor(img, out, mode.value, bool(antialias))


def crop(img, top: int, left: int, height: int, width: int):
    """The ``height x width`` region at (``top``, ``left``), zero-padded where it leaves the image.

    Example:
        >>> crop(ember.arange(16).view(1, 4, 4), 1, 1, 2, 2).tolist()
        [[[5, 6], [9, 10]]]
    """
    if _is_pil(img):
        return img.crop((left, top, left + width, top + height))
    _check_img(img)
    arr = img._data
    h, w = arr.shape[-2:]
    if top >= 0 and left >= 0 and top + height <= h and left + width <= w:
        return _make(arr[..., top : top + height, left : left + width])
    out = xp_of(arr).zeros(arr.shape[:-2] + (height, width), arr.dtype)
    t0, l0 = max(top, 0), max(left, 0)
    t1, l1 = min(top + height, h), min(left + width, w)
    if t1 > t0 and l1 > l0:
        out[..., t0 - top : t1 - top, l0 - left : l1 - left] = arr[..., t0:t1, l0:l1]
    return _make(out)


def _setup_size(size, error_msg: str):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(error_msg)
    return size


def center_crop(img, output_size):
    """The central ``output_size`` region (zero-padded when the image is smaller).

    Example:
        >>> center_crop(ember.zeros(1, 5, 5), 3).shape
        ember.Size([1, 3, 3])
    """
    ch, cw = _setup_size(output_size, "Please provide only two dimensions (h, w) for size.")
    _, h, w = get_dimensions(img)
    if ch > h or cw > w:
        padding = [
            (cw - w) // 2 if cw > w else 0,
            (ch - h) // 2 if ch > h else 0,
            (cw - w + 1) // 2 if cw > w else 0,
            (ch - h + 1) // 2 if ch > h else 0,
        ]
        img = pad(img, padding, fill=0)
        _, h, w = get_dimensions(img)
        if (ch, cw) == (h, w):
            return img
    return crop(img, int(round((h - ch) / 2.0)), int(round((w - cw) / 2.0)), ch, cw)


def resized_crop(
    img,
    top: int,
    left: int,
    height: int,
    width: int,
    size,
    interpolation=InterpolationMode.BILINEAR,
    antialias: bool | None = True,
):
    """Crop, then resize to ``size``.

    Example:
        >>> resized_crop(ember.zeros(1, 8, 8), 0, 0, 4, 4, [2, 2]).shape
        ember.Size([1, 2, 2])
    """
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def hflip(img):
    """Mirror left-right.

    Example:
        >>> hflip(ember.tensor([[[1, 2]]])).tolist()
        [[[2, 1]]]
    """
    if _is_pil(img):
        return img.transpose(_pil().Transpose.FLIP_LEFT_RIGHT)
    _check_img(img)
    return img.flip(-1)


def vflip(img):
    """Mirror top-bottom.

    Example:
        >>> vflip(ember.tensor([[[1], [2]]])).tolist()
        [[[2], [1]]]
    """
    if _is_pil(img):
        return img.transpose(_pil().Transpose.FLIP_TOP_BOTTOM)
    _check_img(img)
    return img.flip(-2)


def _parse_padding(padding):
    if not isinstance(padding, numbers.Number | tuple | list):
        raise TypeError("Got inappropriate padding arg")
    if isinstance(padding, numbers.Number):
        return [int(padding)] * 4
    if len(padding) not in (1, 2, 4):
        raise ValueError(
            "Padding must be an int or a 1, 2, or 4 element tuple, not a "
            f"{len(padding)} element tuple"
        )
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[1], padding[0], padding[1]]
    return list(padding)


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """Pad the borders: ``padding`` is one int, ``[left/right, top/bottom]`` or
    ``[left, top, right, bottom]``; ``padding_mode`` is constant, edge, reflect or symmetric.

    Example:
        >>> pad(ember.ones(1, 1, 1), 1).shape
        ember.Size([1, 3, 3])
    """
    if not isinstance(fill, numbers.Number | tuple | list | str):
        raise TypeError("Got inappropriate fill arg")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, top, right, bottom = _parse_padding(padding)
    _, h, w = get_dimensions(img)
    # Negative padding crops.
    if min(left, top, right, bottom) < 0:
        img = crop(
            img,
            -min(top, 0),
            -min(left, 0),
            h + min(top, 0) + min(bottom, 0),
            w + min(left, 0) + min(right, 0),
        )
        left, top, right, bottom = (max(p, 0) for p in (left, top, right, bottom))
    if _is_pil(img):
        return _pad_pil(img, (left, top, right, bottom), fill, padding_mode)
    arr = img._data
    xp = xp_of(arr)
    widths = [(0, 0)] * (arr.ndim - 2) + [(top, bottom), (left, right)]
    if padding_mode == "constant":
        if isinstance(fill, tuple | list):
            out = xp.empty(
                arr.shape[:-2] + (arr.shape[-2] + top + bottom, arr.shape[-1] + left + right),
                arr.dtype,
            )
            out[...] = xp.asarray(fill, dtype=arr.dtype).reshape(-1, 1, 1)
            out[..., top : top + arr.shape[-2], left : left + arr.shape[-1]] = arr
            return _make(out)
        return _make(xp.pad(arr, widths, mode="constant", constant_values=fill))
    return _make(xp.pad(arr, widths, mode=padding_mode))


def _pil_fill(fill, img):
    bands = len(img.getbands())
    if fill is None:
        fill = 0
    if isinstance(fill, numbers.Number):
        return fill if bands == 1 else tuple([fill] * bands)
    fill = tuple(fill)
    if len(fill) == 1:
        fill = fill * bands
    if len(fill) != bands:
        raise ValueError(
            f"The number of elements in 'fill' does not match the number of bands of "
            f"the image ({len(fill)} != {bands})"
        )
    return fill[0] if bands == 1 else fill


def _pad_pil(img, ltrb, fill, padding_mode):
    Image = _pil()
    left, top, right, bottom = ltrb
    if padding_mode == "constant":
        out = Image.new(
            img.mode, (img.width + left + right, img.height + top + bottom), _pil_fill(fill, img)
        )
        if img.mode == "P":
            out.putpalette(img.getpalette())
        out.paste(img, (left, top))
        return out
    arr = np.asarray(img)
    widths = [(top, bottom), (left, right)] + [(0, 0)] * (arr.ndim - 2)
    out = Image.fromarray(np.pad(arr, widths, mode=padding_mode))
    if img.mode == "P":
        out.putpalette(img.getpalette())
    return out


def _affine_inverse(center, angle: float, translate, scale: float, shear) -> list[float]:
    """The 2x3 matrix mapping output pixels to input pixels for torchvision's affine map.

    The forward map is ``T(center + translate) . RSS . T(-center)``, with RSS a rotation by
    ``angle`` (clockwise on screen, y pointing down) times ShearY(shear[1]) . ShearX(shear[0])
    times ``scale``.
    """
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    r = np.array([[math.cos(rot), -math.sin(rot)], [math.sin(rot), math.cos(rot)]])
    shear_x = np.array([[1.0, -math.tan(sx)], [0.0, 1.0]])
    shear_y = np.array([[1.0, 0.0], [-math.tan(sy), 1.0]])
    fwd = np.eye(3)
    fwd[:2, :2] = r @ shear_y @ shear_x * scale
    cx, cy = center
    to_origin = np.array([[1.0, 0, -cx], [0, 1.0, -cy], [0, 0, 1.0]])
    back = np.array([[1.0, 0, cx + translate[0]], [0, 1.0, cy + translate[1]], [0, 0, 1.0]])
    inv = np.linalg.inv(back @ fwd @ to_origin)
    return inv[:2].reshape(-1).tolist()


def _grid_sample(arr, theta, out_hw, mode: str, fill):
    """Sample ``arr`` (``[..., C, H, W]``) at ``theta`` applied to centred output coordinates.

    Like ``grid_sample(align_corners=False, padding_mode="zeros")`` on torchvision's affine
    grid; with ``fill`` not None, a validity mask blends in the fill as torchvision does.
    """
    xp = xp_of(arr)
    h, w = arr.shape[-2:]
    oh, ow = out_hw
    ys = np.arange(oh) - oh * 0.5 + 0.5
    xs = np.arange(ow) - ow * 0.5 + 0.5
    gx, gy = np.meshgrid(xs, ys)
    a, b, c, d, e, f = theta
    # Input coordinates in pixel units, relative to pixel (0, 0)'s centre.
    ix = a * gx + b * gy + c + w * 0.5 - 0.5
    iy = d * gx + e * gy + f + h * 0.5 - 0.5
    src = arr.astype(np.float64) if arr.dtype.kind != "f" else arr
    lead = arr.shape[:-2]
    flat = src.reshape((-1, h, w))

    def gather(yi, xi):
        ok = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        vals = flat[:, xp.asarray(np.clip(yi, 0, h - 1)), xp.asarray(np.clip(xi, 0, w - 1))]
        return vals * xp.asarray(ok), ok

    if mode == "nearest":
        xi, yi = np.rint(ix).astype(int), np.rint(iy).astype(int)
        out, ok = gather(yi, xi)
        mask = ok.astype(np.float64)
    elif mode == "bilinear":
        x0, y0 = np.floor(ix).astype(int), np.floor(iy).astype(int)
        wx, wy = ix - x0, iy - y0
        out = 0
        mask = np.zeros_like(ix)
        for dy, dx, wgt in (
            (0, 0, (1 - wx) * (1 - wy)),
            (0, 1, wx * (1 - wy)),
            (1, 0, (1 - wx) * wy),
            (1, 1, wx * wy),
        ):
            vals, ok = gather(y0 + dy, x0 + dx)
            out = out + vals * xp.asarray(wgt)
            mask = mask + ok * wgt
    else:
        raise ValueError(f"Interpolation mode '{mode}' is unsupported with Tensor input")
    out = out.reshape(lead + (oh, ow))
    if fill is not None:
        fill_arr = xp.asarray(np.asarray(fill, dtype=np.float64).reshape(-1, 1, 1))
        if arr.ndim == 2:
            fill_arr = fill_arr.reshape(-1, 1)[0]
        m = xp.asarray(mask)
        if mode == "nearest":
            out = xp.where(m < 0.5, fill_arr, out)
        else:
            out = out * m + (1.0 - m) * fill_arr
    return _make(_cast_back(out.astype(_float_np(_make(arr))), arr.dtype))


def _tensor_fill(fill, channels):
    if fill is None:
        return None
    if isinstance(fill, numbers.Number):
        return [float(fill)] * channels
    fill = [float(f) for f in fill]
    if len(fill) == 1:
        return fill * channels
    if len(fill) != channels:
        raise ValueError(
            "The number of elements in 'fill' cannot broadcast to match the number "
            f"of channels of the image ({len(fill)} != {channels})"
        )
    return fill


def rotate(
    img,
    angle: float,
    interpolation=InterpolationMode.NEAREST,
    expand: bool = False,
    center: list[int] | None = None,
    fill=None,
):
    """Rotate counter-clockwise by ``angle`` degrees about ``center`` (default: the centre).

    Example:
        >>> rotate(ember.tensor([[[1, 2], [3, 4]]]), 90).tolist()
        [[[2, 4], [1, 3]]]
    """
    mode = _mode(interpolation)
    if not isinstance(angle, int | float):
        raise TypeError("Argument angle should be int or float")
    if center is not None and not isinstance(center, Sequence):
        raise TypeError("Argument center should be a sequence")
    if _is_pil(img):
        return img.rotate(
            angle,
            resample=_PIL_FILTERS[mode.value],
            expand=expand,
            center=center,
            fillcolor=_pil_fill(fill, img),
        )
    _check_img(img)
    c, h, w = get_dimensions(img)
    center_f = [0.0, 0.0] if center is None else [center[0] - w * 0.5, center[1] - h * 0.5]
    theta = _affine_inverse(center_f, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    out_hw = (h, w)
    if expand:
        out_hw = _expanded_size(theta, w, h)
    return _grid_sample(img._data, theta, out_hw, mode.value, _tensor_fill(fill, c))


def _expanded_size(theta, w, h):
    # As torchvision: float32 arithmetic (which also absorbs the float noise of cos(90 deg)),
    # corners shifted to [0, w] x [0, h] as Pillow does, precision trimmed to 1e-4.
    corners = np.array(
        [
            [-0.5 * w, -0.5 * h, 1.0],
            [-0.5 * w, 0.5 * h, 1.0],
            [0.5 * w, 0.5 * h, 1.0],
            [0.5 * w, -0.5 * h, 1.0],
        ],
        np.float32,
    )
    pts = corners @ np.array(theta, np.float32).reshape(2, 3).T
    shift = np.array([w * 0.5, h * 0.5], np.float32)
    tol = np.float32(1e-4)
    lo = np.floor(np.trunc((pts.min(0) + shift) / tol) * tol)
    hi = np.ceil(np.trunc((pts.max(0) + shift) / tol) * tol)
    size = hi - lo
    return int(size[1]), int(size[0])


def affine(
    img,
    angle: float,
    translate: list[int],
    scale: float,
    shear,
    interpolation=InterpolationMode.NEAREST,
    fill=None,
    center: list[int] | None = None,
):
    """Rotate (clockwise, degrees), translate, scale and shear, keeping the image size.

    Example:
        >>> affine(ember.ones(1, 3, 3), 0.0, [1, 0], 1.0, [0.0, 0.0])[0, 0].tolist()
        [0.0, 1.0, 1.0]
    """
    mode = _mode(interpolation)
    if not isinstance(angle, int | float):
        raise TypeError("Argument angle should be int or float")
    if not isinstance(translate, list | tuple):
        raise TypeError("Argument translate should be a sequence")
    if len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    if not isinstance(shear, numbers.Number | list | tuple):
        raise TypeError("Shear should be either a single value or a sequence of two values")
    if isinstance(shear, numbers.Number):
        shear = [float(shear), 0.0]
    shear = list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    c, h, w = get_dimensions(img)
    if _is_pil(img):
        center_p = [w * 0.5, h * 0.5] if center is None else list(center)
        m = _affine_inverse(center_p, angle, translate, scale, shear)
        return img.transform(
            (w, h),
            _pil().Transform.AFFINE,
            m,
            _PIL_FILTERS[mode.value],
            fillcolor=_pil_fill(fill, img),
        )
    center_f = [0.0, 0.0] if center is None else [center[0] - w * 0.5, center[1] - h * 0.5]
    theta = _affine_inverse(center_f, angle, [float(t) for t in translate], scale, shear)
    return _grid_sample(img._data, theta, (h, w), mode.value, _tensor_fill(fill, c))


# -- colour ---------------------------------------------------------------------------------------


def rgb_to_grayscale(img, num_output_channels: int = 1):
    """Luma ``0.2989 R + 0.587 G + 0.114 B`` (Pillow's ``convert("L")`` for PIL images).

    Example:
        >>> rgb_to_grayscale(ember.ones(3, 1, 1)).shape
        ember.Size([1, 1, 1])
    """
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if _is_pil(img):
        return to_grayscale(img, num_output_channels)
    _check_img(img)
    arr = img._data
    c = get_dimensions(img)[0]
    if c not in (1, 3):
        raise TypeError(f"Input image tensor permitted channel values are [1, 3], but found {c}")
    if c == 3:
        r, g, b = arr[..., 0, :, :], arr[..., 1, :, :], arr[..., 2, :, :]
        gray = np.float32(0.2989) * r + np.float32(0.587) * g + np.float32(0.114) * b
        gray = gray.astype(arr.dtype)[..., None, :, :]
    else:
        gray = arr
    if num_output_channels == 3:
        gray = xp_of(arr).broadcast_to(gray, gray.shape[:-3] + (3,) + gray.shape[-2:]).copy()
    return _make(gray)


def to_grayscale(img, num_output_channels: int = 1):
    """A PIL image in grey levels, with 1 or 3 channels.

    Example:
        >>> from PIL import Image
        >>> to_grayscale(Image.new("RGB", (2, 2)), 3).mode
        'RGB'
    """
    if not _is_pil(img):
        raise TypeError(f"Input should be PIL Image. Got {type(img)}")
    Image = _pil()
    gray = img.convert("L")
    if num_output_channels == 1:
        return gray
    if num_output_channels == 3:
        return Image.merge("RGB", (gray, gray, gray))
    raise ValueError("num_output_channels should be either 1 or 3")


def _blend(arr, other, ratio: float):
    bound = 1.0 if arr.dtype.kind == "f" else 255.0
    out = ratio * arr + (1.0 - ratio) * other
    if arr.dtype.kind == "f":
        out = out.astype(arr.dtype)
    return xp_of(arr).clip(out, 0, bound).astype(arr.dtype)


def adjust_brightness(img, brightness_factor: float):
    """Scale brightness: 0 gives black, 1 the original image.

    Example:
        >>> adjust_brightness(ember.full((3, 1, 1), 0.5), 2.0).tolist()
        [[[1.0]], [[1.0]], [[1.0]]]
    """
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    if _is_pil(img):
        from PIL import ImageEnhance

        return ImageEnhance.Brightness(img).enhance(brightness_factor)
    _check_img(img)
    arr = img._data
    return _make(_blend(arr, xp_of(arr).zeros_like(arr), brightness_factor))


def adjust_contrast(img, contrast_factor: float):
    """Blend with the mean grey level: 0 gives a grey image, 1 the original.

    Example:
        >>> adjust_contrast(ember.tensor([[[0.0, 1.0]]]), 0.0).tolist()
        [[[0.5, 0.5]]]
    """
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    if _is_pil(img):
        from PIL import ImageEnhance

        return ImageEnhance.Contrast(img).enhance(contrast_factor)
    _check_img(img)
    c = get_dimensions(img)[0]
    if c not in (1, 3):
        raise TypeError(f"Input image tensor permitted channel values are [1, 3], but found {c}")
    arr = img._data
    fdt = _float_np(img)
    gray = rgb_to_grayscale(img)._data if c == 3 else arr
    mean = gray.astype(fdt).mean(axis=(-3, -2, -1), keepdims=True)
    return _make(_blend(arr, mean, contrast_factor))


def adjust_saturation(img, saturation_factor: float):
    """Blend with the grey image: 0 gives grey, 1 the original, 2 doubles saturation.

    Example:
        >>> adjust_saturation(ember.ones(3, 1, 1), 0.5).shape
        ember.Size([3, 1, 1])
    """
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    if _is_pil(img):
        from PIL import ImageEnhance

        return ImageEnhance.Color(img).enhance(saturation_factor)
    _check_img(img)
    c = get_dimensions(img)[0]
    if c == 1:
        return img
    if c != 3:
        raise TypeError(f"Input image tensor permitted channel values are [1, 3], but found {c}")
    arr = img._data
    return _make(_blend(arr, rgb_to_grayscale(img)._data, saturation_factor))


def _rgb2hsv(rgb, xp):
    r, g, b = rgb[..., 0, :, :], rgb[..., 1, :, :], rgb[..., 2, :, :]
    maxc, minc = rgb.max(axis=-3), rgb.min(axis=-3)
    eqc = maxc == minc
    cr = maxc - minc
    ones = xp.ones_like(maxc)
    s = cr / xp.where(eqc, ones, maxc)
    cr_div = xp.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / cr_div, (maxc - g) / cr_div, (maxc - b) / cr_div
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = xp.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return xp.stack((h, s, maxc), axis=-3)


def _hsv2rgb(hsv, xp):
    h, s, v = hsv[..., 0, :, :], hsv[..., 1, :, :], hsv[..., 2, :, :]
    i = xp.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int32) % 6
    p = xp.clip(v * (1.0 - s), 0.0, 1.0)
    q = xp.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = xp.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    table = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = [xp.select([i == k for k in range(6)], [row[ch] for row in table]) for ch in range(3)]
    return xp.stack(out, axis=-3).astype(hsv.dtype)


def adjust_hue(img, hue_factor: float):
    """Rotate the hue by ``hue_factor`` turns (in [-0.5, 0.5]).

    Example:
        >>> adjust_hue(ember.tensor([[[1.0]], [[0.0]], [[0.0]]]), 1 / 3).flatten().tolist()
        [0.0, 1.0, 0.0]
    """
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if _is_pil(img):
        Image = _pil()
        mode = img.mode
        if mode in ("L", "1", "I", "F"):
            return img
        h, s, v = img.convert("HSV").split()
        np_h = np.array(h, dtype=np.uint8)
        np_h += np.array(int(hue_factor * 255)).astype(np.int8).astype(np.uint8)
        return Image.merge("HSV", (Image.fromarray(np_h), s, v)).convert(mode)
    _check_img(img)
    c = get_dimensions(img)[0]
    if c == 1:
        return img
    if c != 3:
        raise TypeError(f"Input image tensor permitted channel values are [1, 3], but found {c}")
    arr = img._data
    xp = xp_of(arr)
    x = arr.astype(np.float32) / np.float32(255) if arr.dtype == np.uint8 else arr
    hsv = _rgb2hsv(x, xp)
    hsv[..., 0, :, :] = xp.fmod(hsv[..., 0, :, :] + hue_factor, 1.0)
    hsv[..., 0, :, :] = xp.where(hsv[..., 0, :, :] < 0, hsv[..., 0, :, :] + 1.0, hsv[..., 0, :, :])
    out = _hsv2rgb(hsv.astype(x.dtype), xp)
    if arr.dtype == np.uint8:
        out = (out * 255.0).astype(np.uint8)
    return _make(out)


def invert(img):
    """Invert colours: ``max - img``.

    Example:
        >>> invert(ember.tensor([[[0.25]]])).tolist()
        [[[0.75]]]
    """
    if _is_pil(img):
        from PIL import ImageOps

        return ImageOps.invert(img)
    _check_img(img)
    arr = img._data
    top = 1.0 if arr.dtype.kind == "f" else np.iinfo(arr.dtype).max
    return _make((top - arr).astype(arr.dtype))


def five_crop(img, size):
    """The four corner crops and the central crop."""
    ch, cw = _setup_size(size, "Please provide only two dimensions (h, w) for size.")
    _, h, w = get_dimensions(img)
    if ch > h or cw > w:
        raise ValueError(f"Requested crop size {size} is bigger than input size {(h, w)}")
    return (
        crop(img, 0, 0, ch, cw),
        crop(img, 0, w - cw, ch, cw),
        crop(img, h - ch, 0, ch, cw),
        crop(img, h - ch, w - cw, ch, cw),
        center_crop(img, [ch, cw]),
    )


def ten_crop(img, size, vertical_flip: bool = False):
    """``five_crop`` of the image and of its flipped version."""
    first = five_crop(img, size)
    return first + five_crop(vflip(img) if vertical_flip else hflip(img), size)


def erase(img: Tensor, i: int, j: int, h: int, w: int, v, inplace: bool = False) -> Tensor:
    """Set the ``h x w`` region at (``i``, ``j``) of a tensor image to ``v``."""
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    arr = img._data if inplace else img._data.copy()
    arr[..., i : i + h, j : j + w] = v._data if isinstance(v, Tensor) else v
    return img if inplace else _make(arr)
