"""How far generated images are from the training set: a test for memorised copies.

A high Parzen-window score can come from a generator that copies training images. The nearest-
neighbour distance tells: for each sample s, the Euclidean distance to the closest training image

    d(s) = min_i ||s - x_i||_2

compared with the same distance for real test images (which the GAN never saw). Samples that
are copies have d near 0, far below the test images'; a generator that draws new digits has a
distance like the test images'. ``nearest_neighbour_report`` gives both medians, their ratio and
the share of samples closer to the training set than the closest 1% of test images.

>>> import numpy
>>> train = numpy.eye(4)                                  # four "images" of 4 pixels
>>> nearest_neighbour_distance(numpy.array([[1.0, 0, 0, 0], [0, 0, 0, 0]]), train)
array([0., 1.])
"""

from __future__ import annotations

from typing import Any

import numpy

from tinygan.evaluation.arrays import host_array

__all__ = ["nearest_neighbour_distance", "nearest_neighbour_report"]


def nearest_neighbour_distance(samples: Any, train: Any, memory_mb: float = 256.0
                               ) -> numpy.ndarray:
    """min_i ||s - x_i||_2 for each row s of ``samples`` (n, d) over the rows x_i of ``train``
    (m, d), in float64: shape (n,).

    ||s - x||² = ||s||² + ||x||² - 2 s·x, so each chunk of samples takes one matrix product
    with the training set; chunks keep the (rows, m) matrix within about ``memory_mb``.
    """
    s = host_array(samples, "nearest_neighbour_distance", "samples")
    x = host_array(train, "nearest_neighbour_distance", "train")
    s, x = s.reshape(len(s), -1), x.reshape(len(x), -1)
    if s.shape[1] != x.shape[1] or len(x) == 0:
        raise ValueError(f"nearest_neighbour_distance: samples and train must be non-empty "
                         f"with the same number of values per row, got samples of shape "
                         f"{s.shape} and train of shape {x.shape}")
    x2 = numpy.einsum("ij,ij->i", x, x)
    rows = max(1, int(memory_mb * 2**20 / (2 * 8 * len(x))))
    out = numpy.empty(len(s))
    for start in range(0, len(s), rows):
        chunk = s[start:start + rows]
        sq = numpy.einsum("ij,ij->i", chunk, chunk)[:, None] + x2[None, :] - 2.0 * (chunk @ x.T)
        out[start:start + rows] = numpy.sqrt(numpy.maximum(sq.min(axis=1), 0.0))
    return out


def nearest_neighbour_report(samples: Any, train: Any, test: Any) -> dict[str, float]:
    """The samples' distances to the training set beside the real test images'.

    Returns ``samples_median`` and ``test_median`` (the median of ``nearest_neighbour_distance``
    for each), ``ratio`` (samples over test: near 1 for new digits, near 0 for copies) and
    ``share_closer_than_test_1pct``: the share of samples nearer the training set than the
    nearest 1% of test images are.
    """
    train = host_array(train, "nearest_neighbour_report", "train")  # converted once, for both
    d_samples = nearest_neighbour_distance(samples, train)
    d_test = nearest_neighbour_distance(test, train)
    p1 = float(numpy.percentile(d_test, 1))
    return {"samples_median": round(float(numpy.median(d_samples)), 4),
            "test_median": round(float(numpy.median(d_test)), 4),
            "ratio": round(float(numpy.median(d_samples) / numpy.median(d_test)), 4),
            "share_closer_than_test_1pct": round(float(numpy.mean(d_samples < p1)), 4),
            "n_samples": len(d_samples), "n_test": len(d_test), "n_train": int(len(train))}
