"""The numbers and pictures of a trained reference set-up, as ``tinygan train`` and ``tinygan
eval`` report them (and as a notebook can ask for them):

- gauss1d: W1 and KS distance of 10,000 samples to N(4, 1.25^2), their mean and spread;
  the picture is Goodfellow et al.'s Figure 1 (data, generator density, D and D*).
- ring2d / grid2d: the VEEGAN protocol on 2,500 samples (modes captured, % high quality, modes
  with a fair share); the picture is the scatter over the modes.
- MNIST set-ups: the digit classifier's score (classes covered, confidence, Fréchet distance in
  its feature space) and Goodfellow et al.'s Parzen-window log-likelihood (10,000 samples, sigma
  chosen on the last 10,000 training images, reported on the 10,000 test images); the picture
  is a grid of samples (for cgan-mnist, one row per digit).

Samples are drawn with a fixed ``seed`` through ``GAN.sample(n, seed=...)``, which leaves the
training stream of random numbers alone, so evaluating during training changes nothing.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from tinygan import viz
from tinygan.data import load_mnist
from tinygan.evaluation import metrics
from tinygan.evaluation.classifier import classifier_score

__all__ = ["draw_samples", "evaluate"]

SAMPLE_SEED = 20140610  # Goodfellow et al.'s arXiv date: any fixed number would do


def _mnist_sets(data_dir: Any) -> tuple[np.ndarray, np.ndarray]:
    """(validation, test) images with pixel values in [0, 1], flattened, for the Parzen window."""
    train, _ = load_mnist(data_dir, "train", scale=(0.0, 1.0), flatten=True)
    test, _ = load_mnist(data_dir, "test", scale=(0.0, 1.0), flatten=True)
    return train[-10_000:], test


def evaluate(setup: Any, gan: Any, n: int | None = None, *, seed: int = SAMPLE_SEED,
             data_dir: Any = None, parzen: bool = True, progress: bool = False) -> dict[str, Any]:
    """The set-up's metrics for ``gan`` on ``n`` samples (default 10,000, or 2,500 in 2-D).

    ``data_dir`` is the MNIST folder (see ``tinygan.data.load_mnist``); ``parzen=False`` skips
    the Parzen estimate, which takes a minute on two cores. ``progress`` shows a bar on
    stderr naming each stage as it starts (the MNIST set-ups' evaluation takes a while).
    """
    if hasattr(setup, "evaluate"):  # a set-up with metrics of its own (super-resolution)
        return setup.evaluate(gan, n, seed=seed, data_dir=data_dir, parzen=parzen,
                              progress=progress)
    out: dict[str, Any] = {"setup": setup.name, "step": gan.global_step}
    target = setup.target
    if setup.data == "toy" and target.dim == 1:
        x = gan.sample(n or 10_000, seed=seed).numpy().reshape(-1)
        out.update(n_samples=len(x), w1=metrics.wasserstein1(x, target),
                   ks=metrics.ks_statistic(x, target), mean=float(x.mean()),
                   std=float(x.std()), target_mean=target.mean, target_std=target.std)
        return out
    if setup.data == "toy":
        x = gan.sample(n or 2_500, seed=seed).numpy()
        out.update(metrics.mode_metrics(x, target.modes, target.std))
        out["high_quality_percent"] = 100.0 * out["high_quality_fraction"]
        return out
    with tqdm(total=4 if parzen else 2, desc="evaluating", unit="stage", leave=False,
              disable=not progress, file=sys.stderr) as bar:
        bar.set_postfix_str(f"drawing {n or 10_000:,} samples")
        samples = gan.sample(n or 10_000, seed=seed).numpy().reshape(-1, 784)
        out["n_samples"] = len(samples)
        bar.update()
        bar.set_postfix_str("the digit classifier's score")
        out["classifier"] = classifier_score(samples)
        bar.update()
        if parzen:
            bar.set_postfix_str("reading MNIST")
            validation, test = _mnist_sets(data_dir)
            bar.update()
            bar.set_postfix_str("the Parzen window estimate (the longest stage)")
            estimate = metrics.parzen_window_estimate((samples + 1.0) / 2.0, validation, test)
            out["parzen"] = {**estimate, "paper_adversarial_nets": "225 +- 2"}
            bar.update()
    return out


def draw_samples(setup: Any, gan: Any, path: str | os.PathLike[str], *, seed: int = SAMPLE_SEED,
                 title: str | None = None) -> None:
    """The set-up's picture of ``gan`` now, written to ``path`` (a .png)."""
    if hasattr(setup, "draw"):  # a set-up with a picture of its own (super-resolution)
        return setup.draw(gan, path, title=title)
    target = setup.target
    title = title or f"{setup.name}, step {gan.global_step}"
    if setup.data == "toy" and target.dim == 1:
        lo, hi = target.mean - 5 * target.std, target.mean + 5 * target.std
        fig = viz.figure1(gan, target.pdf, (lo, hi), n=10_000, seed=seed, title=title)
    elif setup.data == "toy":
        fig = viz.plot_samples_2d(gan.sample(2_500, seed=seed), target.modes, title=title)
    else:
        if setup.num_classes is not None:  # one row per class
            labels = np.repeat(np.arange(setup.num_classes), 10)
            images = gan.sample(len(labels), labels=labels, seed=seed)
        else:
            images = gan.sample(100, seed=seed)
        fig = viz.plot_images(images, nrow=10, title=title)
    viz.save_figure(fig, path)
