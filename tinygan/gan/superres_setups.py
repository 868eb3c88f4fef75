"""The super-resolution set-ups ``srresnet-mnist`` and ``srgan-mnist`` (``tinygan train``), with
their metrics and pictures (what ``tinygan train`` and ``tinygan eval`` report for them).

Both train ``SRResNet(channels=32, blocks=4)`` on 28x28 MNIST batches of 32 (HR in [-1, 1], LR
= ``degrade(HR)``, 7x7), Adam (G: lr 1e-3, betas (0.9, 0.999), as Ledig et al.'s 1e-4 scaled to
a network this small; D: lr 1e-4, betas (0.5, 0.999)):

- srresnet-mnist: 3,000 steps on the pixel loss (MSE);
- srgan-mnist: the same 3,000 steps on the pixel loss (srresnet-mnist's run: the SRResNet start
  Ledig et al. use), then 1,000 on the perceptual loss (content on the digit classifier's
  features + 1e-3 x Eq. 5) with D.

Their metrics (``SRSetup.evaluate``) are PSNR, SSIM, the classifier's accuracy on the upscaled
test images and the Fréchet distance to the real ones, beside nearest and bicubic upscaling of
the same LR images; their picture (``SRSetup.draw``) is LR | bicubic | the model | original.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from tqdm.auto import tqdm

from tinygan import viz
from tinygan.gan.models import Setup
from tinygan.gan.superres import (
    ADVERSARIAL_WEIGHT,
    SRDiscriminator,
    SRResNet,
    SuperResolution,
    degrade,
)
from tinygan.optim.optimizers import Adam

__all__ = ["SRSetup", "plot_comparison", "srgan_mnist", "srresnet_mnist"]

PICTURE_DIGITS = 10  # test images 0..9 of the picture, one row each
PIXEL_STEPS = 3000  # srgan-mnist's steps on the pixel loss before the perceptual loss
EVAL_IMAGES = 10_000  # the test images ``evaluate`` scores by default (all of them)


@dataclass
class SRSetup(Setup):
    """A ``Setup`` whose G maps LR images to HR ones (``latent_dim`` is the LR pixel count);
    ``adversarial_weight`` 0 is SRResNet, else SRGAN after ``pixel_steps`` pixel-loss steps."""

    adversarial_weight: float = 0.0
    pixel_steps: int = 0
    data_dir: Any = None  # the MNIST folder of the pictures' test digits (None: load_mnist's)

    def gan(self, k: int | None = None, generator_loss: str = "non_saturating",
            loss: str | None = None, gp_weight: float | None = None) -> SuperResolution:
        """The ``SuperResolution`` trainer (one D step per G step, Eq. 1 and Eq. 5 for the
        adversarial term: the only choices the SR set-ups have; no gradient penalty)."""
        _only_gan(self.name, loss)
        if gp_weight is not None:
            raise ValueError(f"{self.name} has no gradient penalty (gp_weight is WGAN-GP's), "
                             f"got gp_weight={gp_weight}")
        if k not in (None, 1) or generator_loss != "non_saturating":
            raise ValueError(f"{self.name} trains with k=1 and the non-saturating adversarial "
                             f"term (Eq. 5), got k={k}, generator_loss={generator_loss!r}")
        from tinygan.evaluation.classifier import load_classifier

        classifier = load_classifier(device=self.generator.head[0].weight.device) if (
            self.adversarial_weight) else None
        return SuperResolution(self.generator, self.discriminator, self.g_optimizer,
                               self.d_optimizer, classifier, self.adversarial_weight,
                               self.pixel_steps)

    def evaluate(self, gan: SuperResolution, n: int | None = None, *, seed: int = 0,
                 data_dir: Any = None, parzen: bool = False, progress: bool = False
                 ) -> dict[str, Any]:
        """PSNR, SSIM, accuracy and Fréchet distance on the first ``n`` (all 10,000) test images,
        and the same for nearest and bicubic upscaling (``seed``, ``parzen``: unused)."""
        from tinygan.data import load_mnist
        from tinygan.evaluation.superres import superres_report

        images, labels = load_mnist(data_dir if data_dir is not None else self.data_dir, "test")
        images, labels = images[:n or EVAL_IMAGES], labels[:n or EVAL_IMAGES]
        with tqdm(total=1, desc="evaluating", disable=not progress, leave=False,
                  file=sys.stderr) as bar:
            bar.set_postfix_str(f"upscaling {len(images):,} test images")
            report = superres_report(gan.upscale, degrade(images), images, labels,
                                     name=self.name)
            bar.update()
        ours = report.pop(self.name)
        return {"setup": self.name, "step": gan.global_step, "n_images": len(images), **ours,
                "baselines": report}

    def draw(self, gan: SuperResolution, path: str | os.PathLike[str], *,
             title: str | None = None, data_dir: Any = None) -> None:
        """LR | bicubic | this model | original for the first test image of each digit."""
        from tinygan.data import load_mnist
        from tinygan.evaluation.superres import baseline_upscale

        images, labels = load_mnist(data_dir if data_dir is not None else self.data_dir, "test")
        hr = images[[int(np.flatnonzero(labels == d)[0]) for d in range(PICTURE_DIGITS)]]
        lr = degrade(hr)
        columns = {"LR 7x7": baseline_upscale(lr, "nearest"),
                   "bicubic": baseline_upscale(lr, "bicubic"),
                   self.name: gan.upscale(lr), "original": hr}
        title = title or f"{self.name}, step {gan.global_step}"
        viz.save_figure(plot_comparison(columns, title=title), path)

    def plot_history(self, history: dict[str, np.ndarray]) -> Figure:
        """The pixel loss (log scale) and, for SRGAN, the content loss, Eq. 5 and Eq. 1."""
        fig = Figure(figsize=(10.0, 3.6), layout="constrained")
        left, right = fig.subplots(1, 2)
        steps = history["step"]
        left.semilogy(steps, history["loss_pixel"], lw=1, label="pixel MSE")
        left.set_xlabel("step")
        left.legend(fontsize=7)
        for key, label in (("loss_content", "content (classifier features)"),
                           ("loss_adversarial", "adversarial (Eq. 5)"), ("loss_d", "L_D (Eq. 1)")):
            if np.isfinite(history[key]).any():
                right.plot(steps, history[key], lw=1, label=label)
        right.set_xlabel("step")
        if right.lines:
            right.legend(fontsize=7)
        right.set_title("SRGAN terms" if self.adversarial_weight else "SRResNet: no D")
        return fig


def plot_comparison(columns: dict[str, Any], title: str | None = None) -> Figure:
    """Images side by side: one column per entry of ``columns`` (name -> (N, 1, 28, 28))."""
    arrays = [np.asarray(v.numpy() if hasattr(v, "numpy") else v) for v in columns.values()]
    n = len(arrays[0])
    interleaved = np.stack(arrays, axis=1).reshape(n * len(arrays), *arrays[0].shape[1:])
    fig = Figure(figsize=(1.1 * len(arrays) + 0.4, 1.1 * n + 0.6), layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(viz.image_grid(interleaved, nrow=len(arrays)), cmap="gray", vmin=0.0, vmax=1.0,
              interpolation="nearest")
    ax.set_xticks([2 + 30 * i + 14 for i in range(len(arrays))], list(columns), fontsize=7)
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def _only_gan(name: str, loss: str | None) -> None:
    if loss not in (None, "gan"):
        raise ValueError(f"{name} has no loss {loss!r}: its adversarial term is the GAN's "
                         "(Eq. 1 for D, Eq. 5 for G)")


def _sr_setup(name: str, device: Any, batch_size: int, steps: int, channels: int, blocks: int,
              adversarial_weight: float, pixel_steps: int, loss: str | None) -> SRSetup:
    _only_gan(name, loss)
    g = SRResNet(channels, blocks, device=device)
    d = SRDiscriminator(device=device)
    g_opt = Adam(g.parameters(), lr=1e-3, betas=(0.9, 0.999))
    d_opt = Adam(d.parameters(), lr=1e-4, betas=(0.5, 0.999))
    return SRSetup(name, g, d, g_opt, d_opt, latent_dim=49, batch_size=batch_size, steps=steps,
                   data="mnist", checkpoint_every=500, adversarial_weight=adversarial_weight,
                   pixel_steps=pixel_steps)


def srresnet_mnist(device: Any = None, batch_size: int = 32, steps: int = 3000,
                   channels: int = 32, blocks: int = 4, loss: str | None = None) -> SRSetup:
    """SRResNet x4 on MNIST, the pixel loss alone (D is built, so that both SR set-ups keep
    one checkpoint layout, but never trained)."""
    return _sr_setup("srresnet-mnist", device, batch_size, steps, channels, blocks, 0.0, steps,
                     loss)


def srgan_mnist(device: Any = None, batch_size: int = 32, steps: int = 4000,
                channels: int = 32, blocks: int = 4, pixel_steps: int | None = None,
                adversarial_weight: float = ADVERSARIAL_WEIGHT, loss: str | None = None
                ) -> SRSetup:
    """SRGAN x4 on MNIST: ``pixel_steps`` (default ``PIXEL_STEPS``, whatever ``steps`` is, so
    a resumed run keeps them) on the pixel loss, then the perceptual loss with D;
    ``pixel_steps=0`` starts the perceptual loss from scratch."""
    first = PIXEL_STEPS if pixel_steps is None else pixel_steps
    return _sr_setup("srgan-mnist", device, batch_size, steps, channels, blocks,
                     adversarial_weight, first, loss)
