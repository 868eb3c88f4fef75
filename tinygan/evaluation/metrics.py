"""How good is a generator? Numbers for each reference set-up, computed on host NumPy arrays.

* 1-D (``gauss1d``): ``wasserstein1`` and ``ks_statistic`` — how far the samples' distribution is
  from the target N(4, 1.25²), by its exact cdf (or from a reference sample).
* 2-D (``ring2d``, ``grid2d``): ``mode_metrics`` — the VEEGAN/PacGAN protocol: share of
  high-quality samples and modes captured, plus how many modes get a fair share. Mode collapse
  shows as a number.
* MNIST: ``parzen_window_estimate`` — the Parzen-window log-likelihood of Goodfellow et al.
  (2014), Table 1 (in ``parzen.py``, re-exported here); ``frechet_distance`` between two sets
  of features (the Fréchet distance of FID, in whatever feature space the caller gives).
  ``classifier.classifier_score``, beside this module, uses it on the features of a small
  digit classifier trained by tinygan.

Inputs are NumPy arrays (or lists); a Tensor is accepted and copied to the host with
``.numpy()``. Arrays on a GPU must be brought over explicitly first (``tensor.numpy()``).
"""

from __future__ import annotations

from typing import Any

import numpy

from tinygan.evaluation.arrays import host_array

# The Parzen window has a module of its own; its three functions are metrics too.
from tinygan.evaluation.parzen import (
    parzen_log_likelihood,
    parzen_select_sigma,
    parzen_window_estimate,
)

__all__ = [
    "frechet_distance",
    "gaussian_frechet_distance",
    "ks_statistic",
    "mode_metrics",
    "parzen_log_likelihood",
    "parzen_select_sigma",
    "parzen_window_estimate",
    "wasserstein1",
]


# ----------------------------------------------------------------------------------------------
# 1-D: distance between the samples' distribution and the target's
# ----------------------------------------------------------------------------------------------


def _samples_1d(x: Any, who: str, name: str = "samples") -> numpy.ndarray:
    """Sorted 1-D samples from an array of shape (n,) or (n, 1)."""
    a = host_array(x, who, name)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1 or len(a) == 0:
        raise ValueError(f"{who}: {name} must have shape (n,) or (n, 1) with n >= 1, got {a.shape}")
    return numpy.sort(a)


def _ecdf(sorted_x: numpy.ndarray, t: numpy.ndarray) -> numpy.ndarray:
    """The empirical cdf F_n(t) = (number of samples ≤ t) / n."""
    return numpy.searchsorted(sorted_x, t, side="right") / len(sorted_x)


def wasserstein1(samples: Any, target: Any, n_grid: int = 8193) -> float:
    """The Wasserstein-1 (earth mover's) distance between the samples and a target, in 1-D.

    In one dimension W1 is the area between the two cumulative distribution functions,
    W1(P, Q) = ∫ |F_P(x) - F_Q(x)| dx  (equivalently ∫₀¹ |F_P⁻¹(u) - F_Q⁻¹(u)| du).

    Args:
        samples: shape (n,) or (n, 1).
        target: either a distribution with exact ``cdf`` and ``ppf`` methods (such as
            ``tinygan.data.Gaussian1D``) — then the samples' step cdf is compared with the exact
            cdf, integrated by Simpson's rule on a grid of ``n_grid`` points merged with the
            samples (numerical error below 1e-6 for the reference target) — or an array: a
            reference sample, and the area between the two step cdfs is summed exactly.

    A sample of n draws from the target itself is at distance ~ 1/√n from it (≈ 0.01 for
    n = 10,000); a target shifted by δ is at distance |δ|.
    """
    x = _samples_1d(samples, "wasserstein1")
    if not hasattr(target, "cdf"):
        y = _samples_1d(target, "wasserstein1", "the reference sample")
        t = numpy.concatenate([x, y])
        t.sort()
        return float(numpy.sum(numpy.abs(_ecdf(x, t[:-1]) - _ecdf(y, t[:-1])) * numpy.diff(t)))
    # Integrate over [lo, hi], outside which both cdfs are within 1e-12 of 0 or of 1.
    lo = min(x[0], float(target.ppf(1e-12)))
    hi = max(x[-1], float(target.ppf(1.0 - 1e-12)))
    t = numpy.union1d(x, numpy.linspace(lo, hi, n_grid))  # sorted cell edges
    mid = 0.5 * (t[:-1] + t[1:])
    fn = _ecdf(x, mid)  # the step cdf is constant inside each cell
    f_edges = target.cdf(t)
    g_left = numpy.abs(fn - f_edges[:-1])
    g_mid = numpy.abs(fn - target.cdf(mid))
    g_right = numpy.abs(fn - f_edges[1:])
    return float(numpy.sum(numpy.diff(t) / 6.0 * (g_left + 4.0 * g_mid + g_right)))


def ks_statistic(samples: Any, target: Any) -> float:
    """The Kolmogorov-Smirnov statistic D = sup_x |F_n(x) - F(x)|, in [0, 1].

    ``target`` is a distribution with a ``cdf`` method (the exact one-sample statistic: the
    supremum is reached just before or at a sample, so D = max_i max(i/n - F(x_(i)),
    F(x_(i)) - (i-1)/n) over the sorted samples x_(i)), or an array, a reference sample (the
    two-sample statistic). For n draws from the target itself D is about 0.87/√n on average; a
    normal target shifted by δ gives 2Φ(δ/2σ) - 1.
    """
    x = _samples_1d(samples, "ks_statistic")
    n = len(x)
    if not hasattr(target, "cdf"):
        y = _samples_1d(target, "ks_statistic", "the reference sample")
        t = numpy.concatenate([x, y])
        return float(numpy.max(numpy.abs(_ecdf(x, t) - _ecdf(y, t))))
    f = target.cdf(x)
    i = numpy.arange(1, n + 1)
    return float(max(numpy.max(i / n - f), numpy.max(f - (i - 1) / n)))


# ----------------------------------------------------------------------------------------------
# 2-D: modes captured and high-quality samples (VEEGAN, Srivastava et al. 2017; PacGAN)
# ----------------------------------------------------------------------------------------------


def mode_metrics(
    samples: Any, modes: Any, std: float, n_std: float = 3.0, fair_share: float = 0.2
) -> dict[str, Any]:
    """Mode coverage of samples from a mixture of Gaussians, by the VEEGAN protocol.

    Each sample is assigned to its nearest mode. It is *high quality* when it lies within
    ``n_std`` standard deviations of that mode (3 × 0.02 = 0.06 for the ring and the grid). A
    mode is *captured* when it is the nearest mode of at least one high-quality sample.

    One stray sample is enough to capture a mode, so noise captures modes by luck (uniform noise
    on the ring's square captures several of the 8). Also counted, to defeat luck: the modes
    holding a *fair share*, at least ``fair_share`` (20%) of n / K of the n samples *as
    high-quality samples at that mode*:  count_k ≥ fair_share · n / K. The share is of all the
    samples, not of the high-quality ones only, so a mode is not held by a handful of lucky
    samples when nearly everything else misses (uniform noise holds none); the same rule as
    ``classifier_score``'s digits covered. Real data hold every mode (98.9% of each mode's
    samples lie within 3 std); a generator must put at least 20% of an even share of *all* its
    samples sharply on a mode to hold it.

    Args:
        samples: shape (n, d) (VEEGAN used n = 2,500).
        modes: the K means, shape (K, d) — e.g. ``Ring2D().modes``.
        std: the standard deviation of each mixture component — e.g. ``Ring2D().std``.

    Returns:
        a dict: ``n_samples``, ``n_modes``, ``modes_captured``, ``high_quality_fraction``
        (× 100 = VEEGAN's "% high quality"), ``n_high_quality``, ``modes_fair_share`` (modes
        with count_k ≥ fair_share · n / K), ``mode_counts`` (high-quality samples per mode, a
        list), ``threshold`` (n_std · std) and ``fair_share_needed`` (fair_share · n / K,
        the count a mode needs).

    >>> modes = numpy.array([[0.0, 0.0], [1.0, 0.0]])
    >>> m = mode_metrics([[0.0, 0.0], [1.0, 0.01], [5.0, 5.0], [0.5, 3.0]], modes, std=0.02)
    >>> m["modes_captured"], m["high_quality_fraction"], m["mode_counts"]
    (2, 0.5, [1, 1])
    >>> m["modes_fair_share"], m["fair_share_needed"]  # each mode needs 0.2 * 4 / 2 = 0.4 samples
    (2, 0.4)
    """
    x = host_array(samples, "mode_metrics", "samples")
    m = host_array(modes, "mode_metrics", "modes")
    if x.ndim != 2 or m.ndim != 2 or x.shape[1] != m.shape[1] or len(m) == 0:
        raise ValueError(
            f"mode_metrics: samples must be (n, d) and modes (K, d), got {x.shape} and {m.shape}"
        )
    if not std > 0:
        raise ValueError(f"mode_metrics: std must be positive, got {std!r}")
    n, k = len(x), len(m)
    d2 = ((x[:, None, :] - m[None, :, :]) ** 2).sum(axis=-1)  # (n, K) squared distances
    nearest = numpy.argmin(d2, axis=1) if n else numpy.zeros(0, dtype=numpy.int64)
    distance = numpy.sqrt(d2[numpy.arange(n), nearest])
    threshold = n_std * std
    good = distance <= threshold
    counts = numpy.bincount(nearest[good], minlength=k)
    n_good = int(good.sum())
    needed = fair_share * n / k if n else 0.0
    n_fair = int(numpy.sum(counts >= needed)) if n_good else 0
    return {
        "n_samples": n,
        "n_modes": k,
        "modes_captured": int(numpy.count_nonzero(counts)),
        "high_quality_fraction": n_good / n if n else 0.0,
        "n_high_quality": n_good,
        "modes_fair_share": n_fair,
        "mode_counts": counts.tolist(),
        "threshold": threshold,
        "fair_share_needed": needed,
    }


# ----------------------------------------------------------------------------------------------
# Fréchet distance between two sets of features (the distance inside FID)
# ----------------------------------------------------------------------------------------------


def _sqrt_psd(c: numpy.ndarray) -> numpy.ndarray:
    """The symmetric square root of a symmetric positive semi-definite matrix, V √Λ Vᵀ."""
    w, v = numpy.linalg.eigh(0.5 * (c + c.T))
    return (v * numpy.sqrt(numpy.clip(w, 0.0, None))) @ v.T


def gaussian_frechet_distance(mu1: Any, cov1: Any, mu2: Any, cov2: Any) -> float:
    """The squared Fréchet (2-Wasserstein) distance between N(μ₁, C₁) and N(μ₂, C₂):

    d² = ||μ₁ - μ₂||² + Tr(C₁ + C₂ - 2 (C₁^½ C₂ C₁^½)^½).

    (C₁^½ C₂ C₁^½ is similar to C₁C₂, so its square root has the trace of (C₁C₂)^½ in the
    usual formula, but it is symmetric, so both square roots come from ``numpy.linalg.eigh``.)
    Like FID, the value is the *squared* distance.
    """
    m1 = numpy.atleast_1d(host_array(mu1, "gaussian_frechet_distance", "mu1"))
    m2 = numpy.atleast_1d(host_array(mu2, "gaussian_frechet_distance", "mu2"))
    c1 = numpy.atleast_2d(host_array(cov1, "gaussian_frechet_distance", "cov1"))
    c2 = numpy.atleast_2d(host_array(cov2, "gaussian_frechet_distance", "cov2"))
    d = len(m1)
    if m1.shape != (d,) or m2.shape != (d,) or c1.shape != (d, d) or c2.shape != (d, d):
        raise ValueError(
            f"gaussian_frechet_distance: expected means (d,) and covariances (d, d), got "
            f"{m1.shape}, {c1.shape}, {m2.shape}, {c2.shape}"
        )
    root1 = _sqrt_psd(c1)
    middle = root1 @ c2 @ root1
    eigenvalues = numpy.linalg.eigvalsh(0.5 * (middle + middle.T))
    trace_sqrt = numpy.sqrt(numpy.clip(eigenvalues, 0.0, None)).sum()
    d2 = float(numpy.sum((m1 - m2) ** 2) + numpy.trace(c1) + numpy.trace(c2) - 2.0 * trace_sqrt)
    return max(d2, 0.0)  # round-off can leave -1e-12 for identical distributions


def frechet_distance(features_a: Any, features_b: Any) -> float:
    """The squared Fréchet distance between Gaussians fitted to two feature sets (n_a, d) and
    (n_b, d): sample means and covariances (ddof = 1), then ``gaussian_frechet_distance``.

    With a classifier's penultimate features this is FID's recipe; 0 for identical sets.
    """
    a = host_array(features_a, "frechet_distance", "features_a")
    b = host_array(features_b, "frechet_distance", "features_b")
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or len(a) < 2 or len(b) < 2:
        raise ValueError(
            f"frechet_distance: expected two arrays (n, d) with the same d and n >= 2, got "
            f"{a.shape} and {b.shape}"
        )
    return gaussian_frechet_distance(
        a.mean(axis=0), numpy.cov(a, rowvar=False).reshape(a.shape[1], -1),
        b.mean(axis=0), numpy.cov(b, rowvar=False).reshape(b.shape[1], -1),
    )
