"""The toy targets a GAN learns first: a 1-D Gaussian and two 2-D mixtures of Gaussians.

* ``Gaussian1D`` is the ``gauss1d`` set-up's target, N(4, 1.25²). It knows its exact density,
  cumulative distribution and quantile function, so plots can draw the true curve (Goodfellow's
  Figure 1) and the metrics can compare a generator's samples with the target itself.
* ``Ring2D`` (8 modes on a circle of radius 2) and ``Grid2D`` (25 modes at {-4,-2,0,2,4}²), both
  with standard deviation 0.02, are VEEGAN's mode-collapse benchmarks. ``.modes`` and ``.std``
  are what ``tinygan.metrics.mode_metrics`` needs to count captured modes.

Every ``.sample(n)`` draws from tinygan's seeded generator on the chosen device, so
``tinygan.manual_seed(s)`` makes a run repeat exactly::

    >>> ring = Ring2D()
    >>> x = ring.sample(256)          # a Tensor of shape (256, 2), float32, on the CPU
    >>> ring.modes.shape
    (8, 2)

The densities and cdfs are for plots and metrics: they take and return host NumPy arrays.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

import numpy

from tinygan import backend
from tinygan.autograd.tensor import Tensor

__all__ = ["Gaussian1D", "GaussianMixture2D", "Grid2D", "Ring2D"]

# NumPy has no erf and SciPy is not a dependency: the standard library's functions, applied
# element by element, are exact to double precision and fast enough for plots and metrics.
_erfc = numpy.vectorize(math.erfc, otypes=[numpy.float64])


def _check_count(n: Any, who: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, numpy.integer)) or n < 0:
        raise ValueError(f"{who}.sample: n must be a non-negative integer, got {n!r}")
    return int(n)


class Gaussian1D:
    """The normal distribution N(mean, std²) on the real line; the ``gauss1d`` target.

    Args:
        mean: the centre μ (default 4.0, the gauss1d target of docs/setups.md).
        std: the standard deviation σ > 0 (default 1.25).

    ``sample(n)`` gives a Tensor of shape (n, 1) — one feature per row, ready for a Linear
    layer. ``pdf``, ``cdf`` and ``ppf`` (the quantile function, the inverse of the cdf) work on
    NumPy arrays of any shape and return float64.
    """

    dim = 1

    def __init__(self, mean: float = 4.0, std: float = 1.25) -> None:
        if not std > 0:
            raise ValueError(f"Gaussian1D: std must be positive, got {std!r}")
        self.mean = float(mean)
        self.std = float(std)

    def __repr__(self) -> str:
        return f"Gaussian1D(mean={self.mean}, std={self.std})"

    def sample(self, n: int, device: Any = None, dtype: Any = None) -> Tensor:
        """n draws x = μ + σ·ε with ε ~ N(0, 1), as a Tensor of shape (n, 1)."""
        n = _check_count(n, "Gaussian1D")
        eps = backend.randn((n, 1), dtype=dtype, device=device)
        return Tensor(eps * self.std + self.mean)

    def pdf(self, x: Any) -> numpy.ndarray:
        """p(x) = exp(-(x - μ)² / 2σ²) / (σ √(2π))."""
        z = (numpy.asarray(x, dtype=numpy.float64) - self.mean) / self.std
        return numpy.exp(-0.5 * z * z) / (self.std * math.sqrt(2.0 * math.pi))

    def cdf(self, x: Any) -> numpy.ndarray:
        """F(x) = P(X ≤ x) = ½ erfc(-(x - μ) / (σ √2))."""
        z = (numpy.asarray(x, dtype=numpy.float64) - self.mean) / (self.std * math.sqrt(2.0))
        return 0.5 * _erfc(-z)

    def ppf(self, q: Any) -> numpy.ndarray:
        """The quantile function F⁻¹(q) for q in (0, 1): the x with P(X ≤ x) = q."""
        q = numpy.asarray(q, dtype=numpy.float64)
        if q.size and not (numpy.all(q > 0.0) and numpy.all(q < 1.0)):
            raise ValueError("Gaussian1D.ppf: probabilities must lie strictly between 0 and 1")
        inv = numpy.vectorize(NormalDist(self.mean, self.std).inv_cdf, otypes=[numpy.float64])
        return inv(q)


class GaussianMixture2D:
    """An equal-weight mixture of K isotropic Gaussians in the plane, N(m_k, std² I).

    Args:
        modes: the K means, an array-like of shape (K, 2).
        std: the standard deviation of every component.

    Attributes:
        modes: the means as a float64 NumPy array of shape (K, 2).
        std: the component standard deviation.

    A draw picks a component k uniformly at random, then adds std·ε, ε ~ N(0, I).
    """

    dim = 2

    def __init__(self, modes: Any, std: float) -> None:
        modes = numpy.array(modes, dtype=numpy.float64)
        if modes.ndim != 2 or modes.shape[1] != 2 or len(modes) == 0:
            raise ValueError(
                f"{type(self).__name__}: modes must have shape (K, 2) with K >= 1, "
                f"got shape {modes.shape}"
            )
        if not std > 0:
            raise ValueError(f"{type(self).__name__}: std must be positive, got {std!r}")
        self.modes = modes
        self.std = float(std)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n_modes={len(self.modes)}, std={self.std})"

    @property
    def n_modes(self) -> int:
        return len(self.modes)

    def sample(self, n: int, device: Any = None, dtype: Any = None) -> Tensor:
        """n draws as a Tensor of shape (n, 2): a uniformly chosen mode plus std·ε."""
        n = _check_count(n, type(self).__name__)
        dev = backend.get_device(device)
        dt = numpy.dtype(dtype or backend.get_default_dtype())
        which = backend.randint(0, self.n_modes, (n,), device=dev)
        eps = backend.randn((n, 2), dtype=dt, device=dev)
        means = dev.xp.asarray(self.modes.astype(dt))
        return Tensor(means[which] + eps * self.std)

    def pdf(self, points: Any) -> numpy.ndarray:
        """The mixture density at points of shape (..., 2): (1/K) Σ_k N(x; m_k, std² I)."""
        x = numpy.asarray(points, dtype=numpy.float64)
        if x.shape[-1:] != (2,):
            raise ValueError(
                f"{type(self).__name__}.pdf: points must have a last axis of size 2, "
                f"got shape {x.shape}"
            )
        d2 = ((x[..., None, :] - self.modes) ** 2).sum(axis=-1)  # (..., K)
        var = self.std**2
        return numpy.exp(-0.5 * d2 / var).mean(axis=-1) / (2.0 * math.pi * var)


class Ring2D(GaussianMixture2D):
    """VEEGAN's ring: ``n_modes`` Gaussians with means radius·(cos 2πk/K, sin 2πk/K), k = 0..K-1.

    The angles are 2πk/K for k < K — not ``linspace(0, 2π, K)``, whose first and last points
    coincide and would leave only K - 1 distinct modes.
    """

    def __init__(self, n_modes: int = 8, radius: float = 2.0, std: float = 0.02) -> None:
        angles = 2.0 * math.pi * numpy.arange(n_modes) / n_modes
        super().__init__(radius * numpy.stack([numpy.cos(angles), numpy.sin(angles)], 1), std)
        self.radius = float(radius)


class Grid2D(GaussianMixture2D):
    """VEEGAN's grid: a Gaussian at every point of values × values (25 for {-4, -2, 0, 2, 4})."""

    def __init__(self, values: Any = (-4.0, -2.0, 0.0, 2.0, 4.0), std: float = 0.02) -> None:
        v = numpy.asarray(values, dtype=numpy.float64)
        gx, gy = numpy.meshgrid(v, v, indexing="ij")
        super().__init__(numpy.stack([gx.ravel(), gy.ravel()], axis=1), std)
