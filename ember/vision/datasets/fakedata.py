"""FakeData: random images, reproducible per index."""

from __future__ import annotations

from collections.abc import Callable

import ember

from .. import transforms
from .vision import VisionDataset

__all__ = ["FakeData"]


class FakeData(VisionDataset):
    """``size`` random PIL images of ``image_size`` (C, H, W) with random labels.

    Sample ``i`` depends only on ``i + random_offset`` (the global generator is untouched).

    Example:
        >>> img, label = FakeData(size=2, image_size=(3, 8, 8))[0]
        >>> img.size, 0 <= label < 10
        ((8, 8), True)
    """

    def __init__(
        self,
        size: int = 1000,
        image_size: tuple[int, int, int] = (3, 224, 224),
        num_classes: int = 10,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        random_offset: int = 0,
    ) -> None:
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size, self.num_classes = size, num_classes
        self.image_size, self.random_offset = image_size, random_offset

    def __getitem__(self, index: int):
        if index >= len(self):
            raise IndexError(f"{type(self).__name__} index out of range")
        gen = ember.Generator().manual_seed(index + self.random_offset)
        img = ember.randn(*self.image_size, generator=gen)
        target = int(ember.randint(0, self.num_classes, (1,), generator=gen).item())
        img = transforms.ToPILImage()(img)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return self.size
