"""Datasets, as ``torchvision.datasets``: MNIST and relatives, image folders, fake data.

Example:
    >>> from ember.vision import datasets, transforms
    >>> test = datasets.MNIST("data", train=False, transform=transforms.ToTensor())
    >>> len(test)
    10000
"""

from .fakedata import FakeData
from .folder import DatasetFolder, ImageFolder
from .mnist import EMNIST, KMNIST, MNIST, FashionMNIST
from .vision import VisionDataset

__all__ = [
    "DatasetFolder",
    "EMNIST",
    "FakeData",
    "FashionMNIST",
    "ImageFolder",
    "KMNIST",
    "MNIST",
    "VisionDataset",
]
