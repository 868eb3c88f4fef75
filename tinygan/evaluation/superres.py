"""How good is an upscaled image? Distortion (PSNR, SSIM) and perception (the digit classifier).

For images in [-1, 1] (data range L = 2), per image, then averaged over the images:

* PSNR = 10 log10(L^2 / MSE), MSE the mean squared pixel error (in dB; higher is closer);
* SSIM (Wang, Bovik, Sheikh and Simoncelli 2004, Eq. 13) with their 11x11 Gaussian window
  (sigma 1.5), K1 = 0.01, K2 = 0.03: at each position of the window (the 'valid' positions, as
  their reference code), with mu, sigma^2 and sigma_xy the window-weighted means, variances and
  covariance,

      SSIM = (2 mu_x mu_y + C1)(2 sigma_xy + C2)
             / ((mu_x^2 + mu_y^2 + C1)(sigma_x^2 + sigma_y^2 + C2)),   C1 = (K1 L)^2, C2 = (K2 L)^2,

  and the image's SSIM is the mean over positions (1 for identical images);
* the classifier's accuracy on the upscaled test images against their true labels (does the
  digit keep its identity?), and the Fréchet distance of the upscaled images to the real ones
  in the classifier's 128 features (does it look like a real digit?).

The two kinds disagree, and SRGAN's lesson is that they must: the MSE-optimal answer (the
mean of the plausible ones) has the best PSNR and a blurry look, far from real digits.

    >>> x = numpy.zeros((1, 1, 28, 28))
    >>> round(psnr(x + 0.1, x), 2)                     # 10 log10(4 / 0.01)
    26.02
    >>> round(ssim(x, x), 6)
    1.0
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy

from tinygan.evaluation.classifier import MNISTClassifier, _evaluate, _model
from tinygan.evaluation.metrics import frechet_distance

__all__ = ["DATA_RANGE", "baseline_upscale", "gaussian_window", "psnr", "ssim", "ssim_map",
           "superres_metrics", "superres_report"]

DATA_RANGE = 2.0  # images in [-1, 1]


def _pair(a: Any, b: Any, who: str) -> tuple[numpy.ndarray, numpy.ndarray]:
    x = numpy.asarray(a.numpy() if hasattr(a, "numpy") else a, dtype=numpy.float64)
    y = numpy.asarray(b.numpy() if hasattr(b, "numpy") else b, dtype=numpy.float64)
    if x.shape != y.shape or x.ndim != 4:
        raise ValueError(f"{who}: expected two image batches (N, C, H, W) of one shape, got "
                         f"{x.shape} and {y.shape}")
    return x, y


def psnr(images: Any, reference: Any, data_range: float = DATA_RANGE) -> float:
    """Mean over images of 10 log10(L^2 / MSE) in dB (inf for an exact copy)."""
    x, y = _pair(images, reference, "psnr")
    mse = ((x - y) ** 2).mean(axis=(1, 2, 3))
    with numpy.errstate(divide="ignore"):
        return float(numpy.mean(10.0 * numpy.log10(data_range ** 2 / mse)))


def gaussian_window(size: int = 11, sigma: float = 1.5) -> numpy.ndarray:
    """The normalised 1-D Gaussian g (size,); Wang et al.'s 2-D window is the outer product
    g g^T (it sums to 1)."""
    t = numpy.arange(size, dtype=numpy.float64) - (size - 1) / 2.0
    g = numpy.exp(-t * t / (2.0 * sigma * sigma))
    return g / g.sum()


def _filter_matrix(n: int, g: numpy.ndarray) -> numpy.ndarray:
    """A (n - k + 1, n) matrix whose product with a column is its 'valid' correlation with g."""
    k = len(g)
    m = numpy.zeros((n - k + 1, n))
    for i in range(n - k + 1):
        m[i, i:i + k] = g
    return m


def ssim_map(images: Any, reference: Any, data_range: float = DATA_RANGE, size: int = 11,
             sigma: float = 1.5) -> numpy.ndarray:
    """SSIM at every 'valid' window position: (N, C, H - size + 1, W - size + 1).

    The Gaussian window is separable, so each local mean is A x A^T with A the row filter's
    matrix (``_filter_matrix``): one matrix product per side, no loop over pixels.
    """
    x, y = _pair(images, reference, "ssim")
    h, w = x.shape[2:]
    if h < size or w < size:
        raise ValueError(f"ssim: images of {h}x{w} are smaller than the {size}x{size} window")
    g = gaussian_window(size, sigma)
    rows, cols = _filter_matrix(h, g), _filter_matrix(w, g)

    def local_mean(z: numpy.ndarray) -> numpy.ndarray:
        return rows @ z @ cols.T

    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    mu_x, mu_y = local_mean(x), local_mean(y)
    var_x = local_mean(x * x) - mu_x ** 2
    var_y = local_mean(y * y) - mu_y ** 2
    cov = local_mean(x * y) - mu_x * mu_y
    return ((2 * mu_x * mu_y + c1) * (2 * cov + c2)
            / ((mu_x ** 2 + mu_y ** 2 + c1) * (var_x + var_y + c2)))


def ssim(images: Any, reference: Any, data_range: float = DATA_RANGE) -> float:
    """Mean SSIM: over each image's window positions, then over the images (and channels)."""
    return float(ssim_map(images, reference, data_range).mean())


def baseline_upscale(lr: Any, mode: str, factor: int = 4) -> numpy.ndarray:
    """Nearest or bicubic upscaling of (N, C, h, w) images by ``factor``, clipped to [-1, 1]
    (bicubic overshoots at edges), as a float32 NumPy array."""
    from tinygan.autograd.function import no_grad
    from tinygan.autograd.tensor import Tensor
    from tinygan.ops.resample import interpolate

    x = lr if isinstance(lr, Tensor) else Tensor(numpy.asarray(lr, dtype=numpy.float32))
    with no_grad():
        up = interpolate(x, scale_factor=factor, mode=mode).numpy()
    return numpy.clip(up, -1.0, 1.0).astype(numpy.float32)


def superres_metrics(upscaled: Any, hr: Any, labels: Any, *,
                     classifier: MNISTClassifier | None = None,
                     real_features: numpy.ndarray | None = None,
                     batch_size: int = 500) -> dict[str, float]:
    """PSNR, SSIM, the classifier's accuracy against ``labels`` and the Fréchet distance to
    the real ``hr`` images' features (computed here unless given as ``real_features``)."""
    x, y = _pair(upscaled, hr, "superres_metrics")
    labels = numpy.asarray(labels)
    if labels.shape != (len(x),):
        raise ValueError(f"superres_metrics: expected {len(x)} labels, got shape {labels.shape}")
    model = _model(classifier, "superres_metrics")
    probs, feats = _evaluate(model, x.astype(numpy.float32), batch_size)
    if real_features is None:
        real_features = _evaluate(model, y.astype(numpy.float32), batch_size)[1]
    return {"psnr": psnr(x, y), "ssim": ssim(x, y),
            "accuracy": float((probs.argmax(axis=1) == labels).mean()),
            "frechet_distance": frechet_distance(feats, real_features)}


def superres_report(upscale: Callable[[numpy.ndarray], numpy.ndarray], lr: Any, hr: Any,
                    labels: Any, name: str = "model", classifier: MNISTClassifier | None = None
                    ) -> dict[str, dict[str, float]]:
    """``superres_metrics`` of ``upscale(lr)`` beside nearest and bicubic upscaling of the
    same low-resolution images ``lr`` (``tinygan.gan.superres.degrade(hr)``), all against
    ``hr``: {"nearest": {...}, "bicubic": {...}, name: {...}}."""
    hr = numpy.asarray(hr, dtype=numpy.float32)
    model = _model(classifier, "superres_report")
    real = _evaluate(model, hr, 500)[1]
    out = {}
    for key, up in (("nearest", lambda z: baseline_upscale(z, "nearest")),
                    ("bicubic", lambda z: baseline_upscale(z, "bicubic")), (name, upscale)):
        out[key] = superres_metrics(up(lr), hr, labels, classifier=model, real_features=real)
    return out
