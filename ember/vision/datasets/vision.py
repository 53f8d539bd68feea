"""VisionDataset: the base class of the vision datasets."""

from __future__ import annotations

import os
from collections.abc import Callable

from ember.utils.data import Dataset


class StandardTransform:
    """Apply ``transform`` to the input and ``target_transform`` to the target."""

    def __init__(
        self, transform: Callable | None = None, target_transform: Callable | None = None
    ) -> None:
        self.transform, self.target_transform = transform, target_transform

    def __call__(self, input, target):
        if self.transform is not None:
            input = self.transform(input)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return input, target


class VisionDataset(Dataset):
    """Base class with torchvision's ``root``, ``transform``, ``target_transform`` arguments.

    Example:
        >>> class Two(VisionDataset):
        ...     def __len__(self): return 2
        ...     def __getitem__(self, i): return i, i
        >>> len(Two("data"))
        2
    """

    _repr_indent = 4

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        transforms: Callable | None = None,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
    ) -> None:
        if isinstance(root, str | os.PathLike):
            root = os.path.expanduser(root)
        self.root = root
        has_transforms = transforms is not None
        has_separate = transform is not None or target_transform is not None
        if has_transforms and has_separate:
            raise ValueError(
                "Only transforms or transform/target_transform can be passed as argument"
            )
        self.transform, self.target_transform = transform, target_transform
        if has_separate:
            transforms = StandardTransform(transform, target_transform)
        self.transforms = transforms

    def __getitem__(self, index: int):
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            lines.append(f"Root location: {self.root}")
        lines += self.extra_repr().splitlines()
        if isinstance(self.transforms, StandardTransform):
            for name, t in (
                ("Transform", self.transform),
                ("Target transform", self.target_transform),
            ):
                if t is not None:
                    sub = repr(t).splitlines()
                    lines += [f"{name}: {sub[0]}"] + [" " * len(name) + s for s in sub[1:]]
        elif self.transforms is not None:
            lines += repr(self.transforms).splitlines()
        body = "\n".join(" " * self._repr_indent + line for line in lines)
        return f"Dataset {type(self).__name__}\n{body}"
