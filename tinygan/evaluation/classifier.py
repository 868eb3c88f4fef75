"""A small MNIST digit classifier, trained by tinygan itself, that scores a generator's digits.

Does a GAN trained on MNIST draw all ten digits, or only a few (mode collapse)? Looking at a grid
of samples is a guess; this module makes it a number. A convolutional net that recognises digits
(about 99% test accuracy) labels each generated image, and ``classifier_score`` reports:

* the class histogram of the samples and the classes *covered* — a collapsed generator puts
  most of its samples in one or two classes;
* the mean confidence (the mean of the largest softmax probability): a digit the classifier is
  unsure about is a digit a person would squint at;
* an Inception-score-like number, exp(E_x KL(p(y|x) ‖ p(y))), between 1 and 10: 10 for
  confident predictions spread evenly over the ten digits;
* the Fréchet distance between the samples and the real test images in the classifier's
  128-unit penultimate feature space (the recipe of FID, with this classifier in place of
  Inception): 0 when the two feature distributions have the same mean and covariance.

The weights ship with the package (``tinygan/weights/mnist_classifier.npz``, written by
``scripts/train_mnist_classifier.py``), together with the mean and covariance of the features of
the 10,000 MNIST test images, so the score needs no data folder.

A generator that only ever draws one white vertical stroke has collapsed onto one digit:

    >>> strokes = -np.ones((50, 1, 28, 28), np.float32)   # pixel values in [-1, 1]: black ...
    >>> strokes[:, :, 4:24, 13:15] = 1.0                   # ... with a white stroke
    >>> probabilities, features = predict(strokes)
    >>> probabilities.shape, features.shape
    ((50, 10), (50, 128))
    >>> int(probabilities[0].argmax()), round(float(probabilities[0].max()), 3)
    (1, 1.0)
    >>> score = classifier_score(strokes)
    >>> score["class_counts"], score["classes_covered"], round(score["inception_score"], 3)
    ([0, 50, 0, 0, 0, 0, 0, 0, 0, 0], 1, 1.0)
    >>> score["frechet_distance"] > 1000                   # far from the real test digits
    True
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy

from tinygan import backend, ops
from tinygan.autograd.function import no_grad
from tinygan.autograd.tensor import Tensor
from tinygan.evaluation.metrics import frechet_distance, gaussian_frechet_distance
from tinygan.nn import Conv2d, Linear, Module
from tinygan.serialization import load

__all__ = [
    "DEFAULT_WEIGHTS",
    "MNISTClassifier",
    "classifier_score",
    "cross_entropy",
    "load_classifier",
    "predict",
]

DEFAULT_WEIGHTS = Path(__file__).resolve().parent.parent / "weights" / "mnist_classifier.npz"
WEIGHTS_FORMAT = "tinygan-mnist-classifier"


class MNISTClassifier(Module):
    """A small convolutional digit classifier: 28×28 image -> 10 logits.

    Layers (strided convolutions halve the image, as in DCGAN's discriminator; no pooling)::

        (N, 1, 28, 28) -> Conv2d(1, c1, 5, stride 2, padding 2) -> ReLU   (N, c1, 14, 14)
                       -> Conv2d(c1, c2, 5, stride 2, padding 2) -> ReLU  (N, c2, 7, 7)
                       -> flatten -> Linear(c2·49, hidden) -> ReLU        (N, hidden)  features
                       -> Linear(hidden, 10)                              (N, 10)      logits

    The ``hidden`` (default 128) activations are the features of the Fréchet distance.
    """

    def __init__(self, channels: tuple[int, int] = (16, 32), hidden: int = 128,
                 device: Any = None) -> None:
        super().__init__()
        c1, c2 = (int(c) for c in channels)
        self.channels, self.hidden = (c1, c2), int(hidden)
        self.conv1 = Conv2d(1, c1, 5, stride=2, padding=2, device=device)
        self.conv2 = Conv2d(c1, c2, 5, stride=2, padding=2, device=device)
        self.fc1 = Linear(c2 * 7 * 7, self.hidden, device=device)
        self.fc2 = Linear(self.hidden, 10, device=device)

    def features(self, x: Tensor) -> Tensor:
        """The penultimate activations, shape (N, hidden), of images x of shape (N, 1, 28, 28)."""
        if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28):
            raise ValueError(f"MNISTClassifier: expected images of shape (N, 1, 28, 28), got "
                             f"{tuple(x.shape)}")
        h = ops.relu(self.conv1(x))
        h = ops.relu(self.conv2(h))
        h = ops.reshape(h, (h.shape[0], -1))
        return ops.relu(self.fc1(h))

    def forward(self, x: Tensor) -> Tensor:
        """The class logits, shape (N, 10)."""
        return self.fc2(self.features(x))


def cross_entropy(logits: Tensor, target: Tensor) -> Tensor:
    """The mean multi-class cross-entropy, as ``torch.nn.functional.cross_entropy``.

    For logits a (N, C) and integer labels y (N,) in 0..C-1:
    loss = -(1/N) Σ_n log softmax(a_n)[y_n], with log softmax(a)_c = a_c - log Σ_k exp(a_k).

    Written with primitives, so autograd finds the gradient, softmax(a) - onehot(y), by itself.
    The largest logit m of each row is subtracted before exp, so exp never overflows
    (log Σ exp(a_k) = m + log Σ exp(a_k - m)); it is detached, as the value and the gradient do
    not depend on it.
    """
    if logits.ndim != 2 or target.ndim != 1 or target.shape[0] != logits.shape[0]:
        raise ValueError(f"cross_entropy: expected logits (N, C) and labels (N,), got "
                         f"{tuple(logits.shape)} and {tuple(target.shape)}")
    xp = backend.get_array_module(logits.data)
    labels = target.data
    if labels.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: labels must be integers, got dtype {labels.dtype}")
    classes = logits.shape[1]
    onehot = Tensor((labels[:, None] == xp.arange(classes)[None, :]).astype(logits.dtype))
    shifted = logits - logits.max(axis=1, keepdims=True).detach()
    log_softmax = shifted - shifted.exp().sum(axis=1, keepdims=True).log()
    return -(log_softmax * onehot).sum(axis=1).mean()


def load_classifier(path: str | os.PathLike | None = None,
                    device: Any = None) -> MNISTClassifier:
    """The trained classifier, in eval mode, from ``path`` (default: the shipped weights), on
    ``device`` (default: tinygan's default device).

    The file's ``info`` (test accuracy, training settings) and ``reference`` (the test images'
    feature mean and covariance) are attached to the model as ``.info`` and ``.reference``.
    """
    path = Path(path) if path is not None else DEFAULT_WEIGHTS
    if not path.is_file():
        raise FileNotFoundError(
            f"load_classifier: no weights at {path}; run scripts/train_mnist_classifier.py "
            f"(--out {path}) to train and write them")
    ckpt = load(path)
    if not isinstance(ckpt, dict) or ckpt.get("format") != WEIGHTS_FORMAT:
        raise ValueError(f"load_classifier: {path} is a tinygan checkpoint but not an MNIST "
                         f"classifier's weights (expected format {WEIGHTS_FORMAT!r})")
    arch = ckpt["architecture"]
    # Building the layers draws their initial weights from tinygan's seeded CPU generator; put
    # its state back, so that scoring samples in the middle of a training run does not change
    # the rest of the run (same seed, same history).
    gen = backend.generator("cpu")
    state = backend.get_rng_state(gen)
    model = MNISTClassifier(tuple(arch["channels"]), arch["hidden"], device="cpu")
    backend.set_rng_state(gen, state)
    model.load_state_dict(ckpt["state_dict"])
    model.info = dict(ckpt.get("info", {}))
    model.reference = ckpt.get("reference")
    return model.to(backend.get_device(device)).eval()


def _images(x: Any, who: str, name: str, at_least: int = 1) -> numpy.ndarray:
    """``x`` as host float32 images (N, 1, 28, 28) in [-1, 1], or a clear error."""
    if isinstance(x, Tensor):
        x = x.numpy()  # the explicit device-to-host copy
    if not isinstance(x, numpy.ndarray):
        raise TypeError(f"{who}: {name} must be a NumPy array or a Tensor, got "
                        f"{type(x).__name__} (bring device arrays to the host with "
                        f"tensor.numpy() first)")
    if x.ndim == 2 and x.shape[1] == 784:
        x = x.reshape(-1, 1, 28, 28)
    if x.ndim != 4 or x.shape[1:] != (1, 28, 28):
        raise ValueError(f"{who}: {name} must be MNIST images of shape (N, 784) or "
                         f"(N, 1, 28, 28), got {x.shape}")
    if len(x) < at_least:
        raise ValueError(f"{who}: {name} needs at least {at_least} image(s), got {len(x)}")
    if x.dtype.kind not in "fiu":
        raise TypeError(f"{who}: {name} must hold numbers, got dtype {x.dtype}")
    x = x.astype(numpy.float32)
    if not numpy.all(numpy.isfinite(x)):
        raise ValueError(f"{who}: {name} contains NaN or infinite values")
    if x.size and (x.min() < -1.001 or x.max() > 1.001):
        raise ValueError(f"{who}: {name} must be pixel values in [-1, 1] (a Tanh generator's "
                         f"range; map [0, 1] images with 2x - 1), got values in "
                         f"[{float(x.min()):.3g}, {float(x.max()):.3g}]")
    return x


def _model(classifier: Any, who: str) -> MNISTClassifier:
    model = classifier if classifier is not None else load_classifier()
    if not isinstance(model, MNISTClassifier):
        raise TypeError(f"{who}: classifier must be an MNISTClassifier (see load_classifier), "
                        f"got {type(model).__name__}")
    return model


def _check_batch_size(batch_size: Any, who: str) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, numpy.integer)) \
            or batch_size < 1:
        raise ValueError(f"{who}: batch_size must be a positive int, got {batch_size!r}")
    return int(batch_size)


def _evaluate(model: MNISTClassifier, images: numpy.ndarray,
              batch_size: int) -> tuple[numpy.ndarray, numpy.ndarray]:
    """(softmax probabilities (N, 10), features (N, hidden)) as float64 host arrays, the
    images going to the model's device one batch at a time, in eval mode, without a graph."""
    device = model.fc2.weight.device
    was_training = model.training
    model.eval()
    probs, feats = [], []
    try:
        with no_grad():
            for start in range(0, len(images), batch_size):
                x = Tensor(backend.to_device(images[start : start + batch_size], device))
                f = model.features(x)
                logits = model.fc2(f).numpy().astype(numpy.float64)
                logits -= logits.max(axis=1, keepdims=True)  # softmax without overflow
                p = numpy.exp(logits)
                probs.append(p / p.sum(axis=1, keepdims=True))
                feats.append(f.numpy().astype(numpy.float64))
    finally:
        model.train(was_training)
    hidden = model.hidden
    return (numpy.concatenate(probs) if probs else numpy.zeros((0, 10)),
            numpy.concatenate(feats) if feats else numpy.zeros((0, hidden)))


def predict(images: Any, classifier: MNISTClassifier | None = None,
            batch_size: int = 500) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Class probabilities and penultimate features of MNIST-like images.

    Args:
        images: pixel values in [-1, 1], shape (N, 784) or (N, 1, 28, 28), NumPy or Tensor.
        classifier: default ``load_classifier()``.
        batch_size: images per forward pass.

    Returns:
        ``(probabilities, features)``: host float64 arrays (N, 10) (softmax of the logits;
        ``probabilities.argmax(1)`` is the predicted digit) and (N, hidden).
    """
    size = _check_batch_size(batch_size, "predict")
    x = _images(images, "predict", "images")
    return _evaluate(_model(classifier, "predict"), x, size)


def classifier_score(samples: Any, reference: Any = None, *,
                     classifier: MNISTClassifier | None = None, fair_share: float = 0.2,
                     batch_size: int = 500) -> dict[str, Any]:
    """How many digits a generator draws, how clearly, and how close to real ones.

    Args:
        samples: generated images with pixel values in [-1, 1], shape (N, 784) or
            (N, 1, 28, 28), as a NumPy array or a Tensor. Use a few thousand: the Fréchet
            distance fits a 128 × 128 covariance (at least 2 samples are required, far more
            are needed for a meaningful value).
        reference: real images to compare with, in the same form; default the 10,000 MNIST
            test images, whose feature mean and covariance ship with the weights.
        classifier: default ``load_classifier()``, the shipped weights.
        fair_share: a class is *covered* when it holds at least this share of its fair share
            N/10 of the samples (default 0.2: at least 2% of the samples), so a few stray
            samples do not count — the rule ``metrics.mode_metrics`` uses for modes.
        batch_size: images per forward pass.

    Returns:
        a dict:

        * ``n_samples``;
        * ``class_counts``: samples per predicted digit 0..9 (a list of 10 ints);
        * ``classes_covered``: digits holding at least ``fair_share`` · N/10 samples;
        * ``classes_present``: digits with at least one sample;
        * ``mean_confidence``: the mean over samples of the largest softmax probability;
        * ``inception_score``: exp(mean_x KL(p(y|x) ‖ p(y))), p(y) the mean of p(y|x) over the
          samples — 1 for a single class, 10 at most (confident and evenly spread);
        * ``frechet_distance``: the squared Fréchet distance between Gaussians fitted to the
          samples' and the reference's penultimate features (as FID, with this classifier's
          features). Real images score near 0, though never exactly: a finite sample's
          covariance is noisy, which adds a bias that shrinks as N grows — compare numbers
          computed from the same N. For scale, with the shipped weights: 2,000 real test
          images score about 2.6 against the test set's statistics, 1,000 images of the digit
          1 about 1,300, 2,000 images of the digits 0-2 about 660, uniform noise about 1,400.
        * ``fair_share``: the rule used.
    """
    if not 0.0 <= fair_share <= 10.0:
        raise ValueError(f"classifier_score: fair_share must be in [0, 10], got {fair_share!r}")
    size = _check_batch_size(batch_size, "classifier_score")
    x = _images(samples, "classifier_score", "samples", at_least=2)
    r = None if reference is None else _images(reference, "classifier_score", "reference", 2)
    model = _model(classifier, "classifier_score")
    probs, feats = _evaluate(model, x, size)
    if r is None:
        ref = getattr(model, "reference", None)
        if ref is None:
            raise ValueError("classifier_score: this classifier carries no reference "
                             "statistics; pass reference= real MNIST test images")
        fd = gaussian_frechet_distance(feats.mean(axis=0), numpy.cov(feats, rowvar=False),
                                       ref["mean"], ref["cov"])
    else:
        fd = frechet_distance(feats, _evaluate(model, r, size)[1])

    n = len(probs)
    counts = numpy.bincount(probs.argmax(axis=1), minlength=10)
    marginal = probs.mean(axis=0)
    tiny = numpy.finfo(numpy.float64).tiny  # log(0) guard: 0 · log 0 counts as 0
    kl = numpy.sum(probs * (numpy.log(probs + tiny) - numpy.log(marginal + tiny)), axis=1)
    return {
        "n_samples": n,
        "class_counts": counts.tolist(),
        "classes_covered": int(numpy.sum(counts >= fair_share * n / 10)),
        "classes_present": int(numpy.count_nonzero(counts)),
        "mean_confidence": float(probs.max(axis=1).mean()),
        "inception_score": float(math.exp(kl.mean())),
        "frechet_distance": float(fd),
        "fair_share": fair_share,
    }
