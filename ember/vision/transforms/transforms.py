"""Transform classes, as ``torchvision.transforms``: callables on PIL images and tensor images.

Random transforms draw from ember's default generator (Python's ``random`` for RandomChoice
and RandomOrder, as torchvision does), so ``ember.manual_seed`` and the DataLoader's per-worker
seeds make them reproducible.
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Callable, Sequence

import numpy as np

import ember
from ember._tensor import _make
from ember.random import _gen

from . import functional as F
from .functional import InterpolationMode, _setup_size

__all__ = [
    "Compose",
    "ToTensor",
    "PILToTensor",
    "ToPILImage",
    "ConvertImageDtype",
    "Normalize",
    "Resize",
    "CenterCrop",
    "RandomCrop",
    "RandomResizedCrop",
    "RandomHorizontalFlip",
    "RandomVerticalFlip",
    "RandomRotation",
    "RandomAffine",
    "ColorJitter",
    "Grayscale",
    "RandomGrayscale",
    "Pad",
    "Lambda",
    "RandomApply",
    "RandomChoice",
    "RandomOrder",
    "FiveCrop",
    "TenCrop",
    "RandomInvert",
    "RandomErasing",
    "InterpolationMode",
]


def _uniform(lo: float, hi: float) -> float:
    return float(ember.empty(1).uniform_(lo, hi).item())


def _randint(lo: int, hi: int) -> int:
    # The numbers ``ember.randint(lo, hi, (1,))`` would draw, without making a tensor (7x faster:
    # RandomCrop draws two per image).
    return int(_gen(None).integers(lo, hi))


class _Transform:
    """Base of the transforms: ``__call__`` runs ``forward``; a readable ``repr``."""

    def __call__(self, img):
        return self.forward(img)

    def forward(self, img):
        raise NotImplementedError

    def _args(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._args()})"

    # Batched fast path (see MNIST.__getitems__): map a batch state to a new one, or return
    # None when the transform cannot run batched. A state is ("pil_l", uint8 N x H x W: a
    # batch of grey PIL images) or ("tensor", array N x C x H x W).
    def _batched(self, state):
        return None


class Compose(_Transform):
    """Apply ``transforms`` one after another.

    Example:
        >>> t = Compose([ToTensor(), Normalize((0.5,), (0.5,))])
        >>> t(np.zeros((2, 2), np.uint8)).tolist()
        [[[-1.0, -1.0], [-1.0, -1.0]]]
    """

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({body}\n)"

    def _batched(self, state):
        for t in self.transforms:
            fn = getattr(t, "_batched", None)
            state = fn(state) if fn is not None else None
            if state is None:
                return None
        return state


class ToTensor(_Transform):
    """PIL image or ``H x W x C`` ndarray -> float ``C x H x W`` tensor in [0, 1] (from uint8).

    Example:
        >>> ToTensor()(np.zeros((4, 5, 3), np.uint8)).shape
        ember.Size([3, 4, 5])
    """

    def __call__(self, pic):
        return F.to_tensor(pic)

    def _batched(self, state):
        kind, arr = state
        if kind != "pil_l":
            return None
        fdt = ember.get_default_dtype().np
        return "tensor", arr[:, None].astype(fdt) / fdt.type(255)


class PILToTensor(_Transform):
    """PIL image -> ``C x H x W`` tensor of the same dtype (no scaling).

    Example:
        >>> from PIL import Image
        >>> PILToTensor()(Image.new("RGB", (2, 2))).dtype
        ember.uint8
    """

    def __call__(self, pic):
        return F.pil_to_tensor(pic)

    def _batched(self, state):
        kind, arr = state
        return ("tensor", arr[:, None].copy()) if kind == "pil_l" else None


class ToPILImage(_Transform):
    """Tensor or ndarray -> PIL image (see :func:`functional.to_pil_image`).

    Example:
        >>> ToPILImage()(ember.zeros(1, 2, 2)).mode
        'L'
    """

    def __init__(self, mode: str | None = None) -> None:
        self.mode = mode

    def __call__(self, pic):
        return F.to_pil_image(pic, self.mode)

    def _args(self) -> str:
        return f"mode={self.mode}" if self.mode is not None else ""


class ConvertImageDtype(_Transform):
    """Convert a tensor image to ``dtype``, rescaling its values.

    Example:
        >>> ConvertImageDtype(ember.float32)(ember.tensor([[[255]]], dtype=ember.uint8)).tolist()
        [[[1.0]]]
    """

    def __init__(self, dtype) -> None:
        self.dtype = dtype

    def forward(self, img):
        return F.convert_image_dtype(img, self.dtype)


class Normalize(_Transform):
    """``(x - mean) / std`` per channel of a float tensor image.

    Example:
        >>> Normalize((0.1307,), (0.3081,))
        Normalize(mean=(0.1307,), std=(0.3081,))
    """

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False):
        self.mean, self.std, self.inplace = mean, std, inplace

    def forward(self, tensor):
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def _args(self) -> str:
        return f"mean={self.mean}, std={self.std}"

    def _batched(self, state):
        kind, arr = state
        if kind != "tensor" or arr.dtype.kind != "f":
            return None
        m, s = F._mean_std(arr.dtype, self.mean, self.std)
        return "tensor", (arr - m) / s


class Resize(_Transform):
    """Resize to ``size`` (``[h, w]``, or the smaller edge's length when an int).

    Example:
        >>> Resize(4)(ember.zeros(1, 8, 16)).shape
        ember.Size([1, 4, 8])
    """

    def __init__(
        self,
        size,
        interpolation=InterpolationMode.BILINEAR,
        max_size=None,
        antialias: bool | None = True,
    ) -> None:
        if not isinstance(size, int | Sequence) or isinstance(size, str):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size, self.max_size, self.antialias = size, max_size, antialias
        self.interpolation = F._mode(interpolation)

    def forward(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def _args(self) -> str:
        return (
            f"size={self.size}, interpolation={self.interpolation.value}, "
            f"max_size={self.max_size}, antialias={self.antialias}"
        )


class CenterCrop(_Transform):
    """Crop the centre to ``size``.

    Example:
        >>> CenterCrop(2)(ember.zeros(1, 4, 4)).shape
        ember.Size([1, 2, 2])
    """

    def __init__(self, size) -> None:
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")

    def forward(self, img):
        return F.center_crop(img, self.size)

    def _args(self) -> str:
        return f"size={self.size}"


class RandomCrop(_Transform):
    """Crop at a random position, optionally after padding.

    Example:
        >>> RandomCrop(28, padding=4)(ember.zeros(1, 28, 28)).shape
        ember.Size([1, 28, 28])
    """

    @staticmethod
    def get_params(img, output_size):
        _, h, w = F.get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(
                f"Required crop size {(th, tw)} is larger than input image size {(h, w)}"
            )
        if w == tw and h == th:
            return 0, 0, h, w
        return _randint(0, h - th + 1), _randint(0, w - tw + 1), th, tw

    def __init__(
        self,
        size,
        padding=None,
        pad_if_needed: bool = False,
        fill=0,
        padding_mode: str = "constant",
    ) -> None:
        self.size = tuple(_setup_size(size, "Please provide only two dimensions (h, w) for size."))
        self.padding, self.pad_if_needed = padding, pad_if_needed
        self.fill, self.padding_mode = fill, padding_mode

    def _pad(self, img):
        """``padding``, then what ``pad_if_needed`` adds (an image or a batch tensor)."""
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, h, w = F.get_dimensions(img)
        if self.pad_if_needed and w < self.size[1]:
            img = F.pad(img, [self.size[1] - w, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and h < self.size[0]:
            img = F.pad(img, [0, self.size[0] - h], self.fill, self.padding_mode)
        return img

    def forward(self, img):
        img = self._pad(img)
        return F.crop(img, *self.get_params(img, self.size))

    def _batched(self, state):
        # The per-image steps on the whole batch: pad once, then each image's (i, j) drawn in
        # the same order as N calls of forward would, so both paths give the same crops.
        kind, arr = state
        if not isinstance(self.fill, numbers.Number):
            return None
        img = self._pad(ember.tensor(arr[:, None] if kind == "pil_l" else arr))
        th, tw = self.size
        ij = [self.get_params(img, self.size)[:2] for _ in range(len(arr))]
        a = img._data
        out = np.stack([a[k, ..., i : i + th, j : j + tw] for k, (i, j) in enumerate(ij)])
        return (kind, out[:, 0]) if kind == "pil_l" else (kind, out)

    def _args(self) -> str:
        return f"size={self.size}, padding={self.padding}"


class RandomResizedCrop(_Transform):
    """Crop a random area and aspect ratio, then resize to ``size``.

    Example:
        >>> RandomResizedCrop(8)(ember.zeros(3, 20, 30)).shape
        ember.Size([3, 8, 8])
    """

    def __init__(
        self,
        size,
        scale=(0.08, 1.0),
        ratio=(3.0 / 4.0, 4.0 / 3.0),
        interpolation=InterpolationMode.BILINEAR,
        antialias: bool | None = True,
    ):
        self.size = tuple(_setup_size(size, "Please provide only two dimensions (h, w) for size."))
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        self.scale, self.ratio, self.antialias = scale, ratio, antialias
        self.interpolation = F._mode(interpolation)

    @staticmethod
    def get_params(img, scale, ratio):
        _, height, width = F.get_dimensions(img)
        area = height * width
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            target_area = area * _uniform(scale[0], scale[1])
            aspect = math.exp(_uniform(log_ratio[0], log_ratio[1]))
            w = int(round(math.sqrt(target_area * aspect)))
            h = int(round(math.sqrt(target_area / aspect)))
            if 0 < w <= width and 0 < h <= height:
                return _randint(0, height - h + 1), _randint(0, width - w + 1), h, w
        in_ratio = width / height
        if in_ratio < min(ratio):
            w, h = width, int(round(width / min(ratio)))
        elif in_ratio > max(ratio):
            h, w = height, int(round(height * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def forward(self, img):
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, i, j, h, w, list(self.size), self.interpolation, self.antialias)

    def _args(self) -> str:
        return (
            f"size={self.size}, scale={self.scale}, ratio={self.ratio}, "
            f"interpolation={self.interpolation.value}, antialias={self.antialias}"
        )


class RandomHorizontalFlip(_Transform):
    """Mirror left-right with probability ``p``.

    Example:
        >>> RandomHorizontalFlip(p=1.0)(ember.tensor([[[1, 2]]])).tolist()
        [[[2, 1]]]
    """

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def forward(self, img):
        return F.hflip(img) if ember.rand(1).item() < self.p else img

    def _args(self) -> str:
        return f"p={self.p}"


class RandomVerticalFlip(RandomHorizontalFlip):
    """Mirror top-bottom with probability ``p``.

    Example:
        >>> RandomVerticalFlip(p=1.0)(ember.tensor([[[1], [2]]])).tolist()
        [[[2], [1]]]
    """

    def forward(self, img):
        return F.vflip(img) if ember.rand(1).item() < self.p else img


def _setup_angle(x, name: str) -> list[float]:
    if isinstance(x, numbers.Number):
        if x < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        return [-float(x), float(x)]
    if len(x) != 2:
        raise ValueError(f"If {name} is a sequence, it must be of len 2.")
    return [float(d) for d in x]


class RandomRotation(_Transform):
    """Rotate by an angle drawn uniformly from ``degrees`` (``(-d, d)`` for a number).

    Example:
        >>> RandomRotation(10)(ember.zeros(1, 5, 5)).shape
        ember.Size([1, 5, 5])
    """

    def __init__(
        self,
        degrees,
        interpolation=InterpolationMode.NEAREST,
        expand: bool = False,
        center=None,
        fill=0,
    ) -> None:
        self.degrees = _setup_angle(degrees, "degrees")
        if center is not None and len(center) != 2:
            raise ValueError("center should be a sequence of length 2.")
        if fill is None:
            fill = 0
        elif not isinstance(fill, Sequence | numbers.Number):
            raise TypeError("Fill should be either a sequence or a number.")
        self.interpolation = F._mode(interpolation)
        self.expand, self.center, self.fill = expand, center, fill

    @staticmethod
    def get_params(degrees: list[float]) -> float:
        return _uniform(degrees[0], degrees[1])

    def forward(self, img):
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, self.fill)

    def _args(self) -> str:
        return f"degrees={self.degrees}, interpolation={self.interpolation.value}"


class RandomAffine(_Transform):
    """A random rotation, translation, scale and shear (``F.affine`` with drawn parameters).

    Example:
        >>> RandomAffine(0, translate=(0.1, 0.1))(ember.zeros(1, 8, 8)).shape
        ember.Size([1, 8, 8])
    """

    def __init__(
        self,
        degrees,
        translate=None,
        scale=None,
        shear=None,
        interpolation=InterpolationMode.NEAREST,
        fill=0,
        center=None,
    ) -> None:
        self.degrees = _setup_angle(degrees, "degrees")
        if translate is not None:
            if len(translate) != 2:
                raise ValueError("translate should be a sequence of length 2.")
            for t in translate:
                if not 0.0 <= t <= 1.0:
                    raise ValueError("translation values should be between 0 and 1")
        if scale is not None:
            if len(scale) != 2:
                raise ValueError("scale should be a sequence of length 2.")
            for s in scale:
                if s <= 0:
                    raise ValueError("scale values should be positive")
        if shear is not None:
            if isinstance(shear, numbers.Number):
                shear = _setup_angle(shear, "shear")
            elif len(shear) not in (2, 4):
                raise ValueError("shear should be a sequence of length 2 or 4.")
            shear = [float(s) for s in shear]
        if fill is None:
            fill = 0
        self.translate, self.scale, self.shear = translate, scale, shear
        self.interpolation = F._mode(interpolation)
        self.fill, self.center = fill, center

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size):
        angle = _uniform(degrees[0], degrees[1])
        if translate is not None:
            max_dx = float(translate[0] * img_size[0])
            max_dy = float(translate[1] * img_size[1])
            tx = int(round(_uniform(-max_dx, max_dx)))
            ty = int(round(_uniform(-max_dy, max_dy)))
        else:
            tx = ty = 0
        scale = _uniform(scale_ranges[0], scale_ranges[1]) if scale_ranges is not None else 1.0
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = _uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = _uniform(shears[2], shears[3])
        return angle, (tx, ty), scale, (shear_x, shear_y)

    def forward(self, img):
        _, h, w = F.get_dimensions(img)
        angle, translate, scale, shear = self.get_params(
            self.degrees, self.translate, self.scale, self.shear, [w, h]
        )
        return F.affine(
            img,
            angle,
            list(translate),
            scale,
            list(shear),
            self.interpolation,
            self.fill,
            self.center,
        )

    def _args(self) -> str:
        return (
            f"degrees={self.degrees}, translate={self.translate}, scale={self.scale}, "
            f"shear={self.shear}"
        )


def _check_jitter(value, name, center=1.0, bound=(0, float("inf")), clip_first_on_zero=True):
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"If {name} is a single number, it must be non negative.")
        value = [center - float(value), center + float(value)]
        if clip_first_on_zero:
            value[0] = max(value[0], 0.0)
    elif isinstance(value, tuple | list) and len(value) == 2:
        value = [float(value[0]), float(value[1])]
    else:
        raise TypeError(f"{name} should be a single number or a list/tuple with length 2.")
    if not bound[0] <= value[0] <= value[1] <= bound[1]:
        raise ValueError(f"{name} values should be between {bound}, but got {value}.")
    return None if value[0] == value[1] == center else tuple(value)


class ColorJitter(_Transform):
    """Random brightness, contrast, saturation and hue changes, applied in a random order.

    Example:
        >>> ColorJitter(brightness=0.5)(ember.rand(3, 4, 4)).shape
        ember.Size([3, 4, 4])
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0) -> None:
        self.brightness = _check_jitter(brightness, "brightness")
        self.contrast = _check_jitter(contrast, "contrast")
        self.saturation = _check_jitter(saturation, "saturation")
        self.hue = _check_jitter(hue, "hue", center=0, bound=(-0.5, 0.5), clip_first_on_zero=False)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue):
        order = ember.randperm(4).tolist()
        draw = [
            None if r is None else _uniform(r[0], r[1])
            for r in (brightness, contrast, saturation, hue)
        ]
        return (order, *draw)

    def forward(self, img):
        order, b, c, s, h = self.get_params(
            self.brightness, self.contrast, self.saturation, self.hue
        )
        for fn_id in order:
            if fn_id == 0 and b is not None:
                img = F.adjust_brightness(img, b)
            elif fn_id == 1 and c is not None:
                img = F.adjust_contrast(img, c)
            elif fn_id == 2 and s is not None:
                img = F.adjust_saturation(img, s)
            elif fn_id == 3 and h is not None:
                img = F.adjust_hue(img, h)
        return img

    def _args(self) -> str:
        return (
            f"brightness={self.brightness}, contrast={self.contrast}, "
            f"saturation={self.saturation}, hue={self.hue}"
        )


class Grayscale(_Transform):
    """Convert to grey levels with 1 or 3 output channels.

    Example:
        >>> Grayscale()(ember.rand(3, 2, 2)).shape
        ember.Size([1, 2, 2])
    """

    def __init__(self, num_output_channels: int = 1) -> None:
        self.num_output_channels = num_output_channels

    def forward(self, img):
        return F.rgb_to_grayscale(img, self.num_output_channels)

    def _args(self) -> str:
        return f"num_output_channels={self.num_output_channels}"


class RandomGrayscale(_Transform):
    """Convert to grey (keeping the channel count) with probability ``p``.

    Example:
        >>> RandomGrayscale(p=1.0)(ember.rand(3, 2, 2)).shape
        ember.Size([3, 2, 2])
    """

    def __init__(self, p: float = 0.1) -> None:
        self.p = p

    def forward(self, img):
        c = F.get_dimensions(img)[0]
        if ember.rand(1).item() < self.p:
            return F.rgb_to_grayscale(img, num_output_channels=c)
        return img

    def _args(self) -> str:
        return f"p={self.p}"


class Pad(_Transform):
    """Pad the borders (see :func:`functional.pad`).

    Example:
        >>> Pad(2)(ember.zeros(1, 3, 3)).shape
        ember.Size([1, 7, 7])
    """

    def __init__(self, padding, fill=0, padding_mode: str = "constant") -> None:
        F._parse_padding(padding)
        if not isinstance(fill, numbers.Number | tuple | list | str):
            raise TypeError("Got inappropriate fill arg")
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def forward(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def _args(self) -> str:
        return f"padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode}"


class Lambda(_Transform):
    """Wrap a function as a transform.

    Example:
        >>> Lambda(lambda x: x * 2)(3)
        6
    """

    def __init__(self, lambd: Callable) -> None:
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)


class RandomApply(_Transform):
    """Apply all of ``transforms`` with probability ``p``.

    Example:
        >>> RandomApply([Lambda(lambda x: x + 1)], p=1.0)(1)
        2
    """

    def __init__(self, transforms, p: float = 0.5) -> None:
        self.transforms, self.p = transforms, p

    def forward(self, img):
        if self.p < ember.rand(1).item():
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}(\n    p={self.p}{body}\n)"


class RandomChoice(_Transform):
    """Apply one of ``transforms``, picked with weights ``p`` (Python's ``random``).

    Example:
        >>> RandomChoice([Lambda(lambda x: x + 1)])(1)
        2
    """

    def __init__(self, transforms, p=None) -> None:
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence")
        if p is not None and not isinstance(p, Sequence):
            raise TypeError("Argument p should be a sequence")
        if p is not None and len(p) != len(transforms):
            raise ValueError(
                f"Length of p doesn't match the number of transforms: {len(p)} != {len(transforms)}"
            )
        self.transforms = transforms
        self.p = None if p is None else [w / sum(p) for w in p]

    def __call__(self, *args):
        t = random.choices(self.transforms, weights=self.p)[0]
        return t(*args)

    def _args(self) -> str:
        return f"transforms={self.transforms}, p={self.p}"


class RandomOrder(_Transform):
    """Apply ``transforms`` in a random order (Python's ``random``).

    Example:
        >>> RandomOrder([Lambda(lambda x: x + 1), Lambda(lambda x: x + 2)])(0)
        3
    """

    def __init__(self, transforms) -> None:
        self.transforms = transforms

    def __call__(self, img):
        order = list(range(len(self.transforms)))
        random.shuffle(order)
        for i in order:
            img = self.transforms[i](img)
        return img


class FiveCrop(_Transform):
    """The four corner crops and the central crop, as a tuple."""

    def __init__(self, size) -> None:
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")

    def forward(self, img):
        return F.five_crop(img, self.size)


class TenCrop(FiveCrop):
    """``FiveCrop`` of the image and of its mirror image."""

    def __init__(self, size, vertical_flip: bool = False) -> None:
        super().__init__(size)
        self.vertical_flip = vertical_flip

    def forward(self, img):
        return F.ten_crop(img, self.size, self.vertical_flip)


class RandomInvert(RandomHorizontalFlip):
    """Invert colours with probability ``p``."""

    def forward(self, img):
        return F.invert(img) if ember.rand(1).item() < self.p else img


class RandomErasing(_Transform):
    """Erase a random rectangle of a tensor image with probability ``p``.

    Example:
        >>> RandomErasing(p=1.0, value=0)(ember.ones(1, 8, 8)).sum().item() < 64
        True
    """

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False):
        if not isinstance(value, numbers.Number | str | tuple | list):
            raise TypeError("Argument value should be either a number or str or a sequence")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError("Scale and ratio should be of kind (min, max)")
        if not 0 <= p <= 1:
            raise ValueError("Random erasing probability should be between 0 and 1")
        self.p, self.scale, self.ratio, self.value, self.inplace = p, scale, ratio, value, inplace

    @staticmethod
    def get_params(img, scale, ratio, value=None):
        c, h, w = F.get_dimensions(img)
        area = h * w
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            erase_area = area * _uniform(scale[0], scale[1])
            aspect = math.exp(_uniform(log_ratio[0], log_ratio[1]))
            eh = int(round(math.sqrt(erase_area * aspect)))
            ew = int(round(math.sqrt(erase_area / aspect)))
            if not (eh < h and ew < w):
                continue
            if value is None:
                v = ember.randn(c, eh, ew, dtype=img.dtype)
            else:
                v = _make(np.asarray(value, dtype=img._data.dtype).reshape(-1, 1, 1))
            return _randint(0, h - eh + 1), _randint(0, w - ew + 1), eh, ew, v
        return 0, 0, h, w, img

    def forward(self, img):
        if ember.rand(1).item() >= self.p:
            return img
        value = None if self.value == "random" else self.value
        if isinstance(value, numbers.Number):
            value = [value]
        x, y, h, w, v = self.get_params(img, self.scale, self.ratio, value)
        return F.erase(img, x, y, h, w, v, self.inplace)
