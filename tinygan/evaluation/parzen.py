"""The Parzen-window log-likelihood of Goodfellow et al. (2014), Table 1, on host arrays.

A Gaussian kernel density is fitted to a generator's samples; its width σ is chosen on a
validation set; the mean log-likelihood of the test set, with its standard error, is the score
(``parzen_window_estimate``). ``tinygan.metrics`` re-exports the three functions.
"""

from __future__ import annotations

import math
from typing import Any

import numpy

from tinygan.evaluation.arrays import host_array

__all__ = ["DEFAULT_SIGMAS", "parzen_log_likelihood", "parzen_select_sigma",
           "parzen_window_estimate"]

DEFAULT_SIGMAS = numpy.logspace(-1, 0, 10)  # the released evaluation's candidate widths


def _parzen_all_sigmas(
    samples: numpy.ndarray, data: numpy.ndarray, sigmas: numpy.ndarray, memory_mb: float
) -> numpy.ndarray:
    """log p_σ(x) for every σ in ``sigmas`` and every row x of ``data``: shape (S, m).

    The squared distances ||x - s||² do not depend on σ, so each chunk of data rows computes
    them once, as ||x||² + ||s||² - 2 x·s (one matrix product), and then every σ reuses them.
    Chunks are sized so that the (rows × samples) matrices stay within about ``memory_mb``.
    """
    n, d = samples.shape
    s2 = numpy.einsum("ij,ij->i", samples, samples)  # ||s||², shape (n,)
    rows = max(1, int(memory_mb * 2**20 / (3 * 8 * n)))  # ~3 float64 (rows, n) arrays alive
    out = numpy.empty((len(sigmas), len(data)))
    for start in range(0, len(data), rows):
        x = data[start : start + rows]
        sq = numpy.einsum("ij,ij->i", x, x)[:, None] + s2[None, :] - 2.0 * (x @ samples.T)
        numpy.maximum(sq, 0.0, out=sq)  # round-off can make a tiny distance negative
        for j, sigma in enumerate(sigmas):
            a = sq * (-0.5 / sigma**2)  # log of the unnormalised kernel, (rows, n)
            top = a.max(axis=1, keepdims=True)  # log-sum-exp, shifted to avoid underflow
            lse = top[:, 0] + numpy.log(numpy.exp(a - top).sum(axis=1))
            out[j, start : start + rows] = lse - math.log(n) - 0.5 * d * math.log(
                2.0 * math.pi * sigma**2
            )
    return out


def _parzen_inputs(samples: Any, data: Any, who: str) -> tuple[numpy.ndarray, numpy.ndarray]:
    s = host_array(samples, who, "samples")
    x = host_array(data, who, "data")
    s = s.reshape(len(s), -1) if s.ndim > 1 else s[:, None]
    x = x.reshape(len(x), -1) if x.ndim > 1 else x[:, None]
    if s.shape[1] != x.shape[1] or len(s) == 0 or len(x) == 0:
        raise ValueError(
            f"{who}: samples and data must be non-empty with the same number of features, "
            f"got {s.shape} and {x.shape}"
        )
    return s, x


def parzen_log_likelihood(
    samples: Any, data: Any, sigma: float, memory_mb: float = 64.0
) -> numpy.ndarray:
    """Log-likelihood of each data point under a Gaussian kernel density on the samples.

    p(x) = (1/n) Σᵢ N(x; sᵢ, σ² I), so, with d features,
    log p(x) = logsumexp_i(-||x - sᵢ||² / 2σ²) - log n - (d/2) log(2πσ²)   (in nats).

    Args:
        samples: the n kernel centres (generated images), shape (n, ...) — flattened to (n, d).
        data: the m points to score, shape (m, ...).
        sigma: the kernel width σ > 0.
        memory_mb: rough bound on the working memory (the work is done in chunks of data).

    Returns:
        the m log-likelihoods, float64.
    """
    if not sigma > 0:
        raise ValueError(f"parzen_log_likelihood: sigma must be positive, got {sigma!r}")
    s, x = _parzen_inputs(samples, data, "parzen_log_likelihood")
    return _parzen_all_sigmas(s, x, numpy.array([float(sigma)]), memory_mb)[0]


def parzen_select_sigma(
    samples: Any, validation: Any, sigmas: Any = None, memory_mb: float = 64.0
) -> tuple[float, numpy.ndarray]:
    """The σ (from ``sigmas``, default logspace(-1, 0, 10)) with the best mean validation
    log-likelihood; returns ``(best_sigma, mean log-likelihood for each sigma)``."""
    grid = DEFAULT_SIGMAS if sigmas is None else numpy.asarray(sigmas, dtype=numpy.float64)
    if grid.ndim != 1 or len(grid) == 0 or not numpy.all(grid > 0):
        raise ValueError("parzen_select_sigma: sigmas must be a non-empty list of positive widths")
    s, v = _parzen_inputs(samples, validation, "parzen_select_sigma")
    means = _parzen_all_sigmas(s, v, grid, memory_mb).mean(axis=1)
    return float(grid[int(numpy.argmax(means))]), means


def parzen_window_estimate(
    samples: Any, validation: Any, test: Any, sigmas: Any = None, memory_mb: float = 64.0
) -> dict[str, Any]:
    """Goodfellow et al.'s (2014) Parzen-window estimate of a generator's log-likelihood.

    The protocol of the paper's Table 1 (adversarial nets: 225 ± 2 on MNIST): fit a Gaussian
    Parzen window to generated samples (the paper used 10,000), choose σ from
    logspace(-1, 0, 10) by the mean log-likelihood of a validation set, then report the mean
    log-likelihood of the test set and its standard error, std / √m. Every input must be
    pixel values in [0, 1] (for tinygan's [-1, 1] images: ``(x + 1) / 2``). The estimate is
    known to be crude in 784 dimensions; it is the paper's own yardstick.

    Returns:
        a dict: ``sigma`` (chosen), ``mean`` and ``stderr`` (nats, test set), ``n_test``,
        ``sigmas`` and ``validation_means`` (the search, as lists).
    """
    arrays = {}
    for name, values in (("samples", samples), ("validation", validation), ("test", test)):
        array = arrays[name] = host_array(values, "parzen_window_estimate", name)
        if array.size and (array.min() < -1e-6 or array.max() > 1.0 + 1e-6):
            raise ValueError(
                f"parzen_window_estimate: {name} must be pixel values in [0, 1], got values in "
                f"[{array.min():.3g}, {array.max():.3g}] (map [-1, 1] images with (x + 1) / 2)"
            )
    s, v, t = arrays["samples"], arrays["validation"], arrays["test"]
    sigma, means = parzen_select_sigma(s, v, sigmas, memory_mb)
    ll = parzen_log_likelihood(s, t, sigma, memory_mb)
    return {
        "sigma": sigma,
        "mean": float(ll.mean()),
        "stderr": float(ll.std() / math.sqrt(len(ll))),
        "n_test": len(ll),
        "sigmas": (DEFAULT_SIGMAS if sigmas is None else numpy.asarray(sigmas)).tolist(),
        "validation_means": means.tolist(),
    }
