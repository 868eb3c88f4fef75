"""Super-resolution GANs at MNIST scale (Ledig et al. 2017): 7x7 digits upscaled x4 to 28x28.

The degradation (``degrade``) is the one low-resolution image used everywhere (training, the
metrics, ``tinygan upscale``, notebook 06): the 28x28 image in [-1, 1], averaged over 4x4
blocks (a box filter, ``avg_pool2d(x, 4)``), which gives a 7x7 image, still in [-1, 1]:

    LR[n, c, i, j] = (1/16) sum_{a, b < 4} HR[n, c, 4 i + a, 4 j + b]

Many 28x28 digits share one 7x7 image, so the inverse is ill-posed: a network trained on the
pixel loss (MSE) learns the *mean* of the plausible answers (blurry), the adversarial term
pushes it to *one* of them (sharp).

The networks (``SRResNet``, ``SRDiscriminator``, in ``superres_networks.py``), the losses and
the training step (``SuperResolution``, Algorithm 1 with G's input the low-resolution image
instead of noise):

* SRResNet (Ledig et al.'s generator, small): G descends the pixel loss ``mse(G(LR), HR)``;
* SRGAN: G descends the perceptual loss, content + 1e-3 x adversarial,

      l_content = mean (phi(G(LR)) - phi(HR))^2,   l_adv = -mean log D(G(LR))  (Eq. 5),

  phi the last convolutional feature map (32 x 7 x 7) of tinygan's MNIST digit classifier,
  frozen (SRGAN's VGG54 loss, with a network that knows digits in place of VGG); D descends
  Eq. 1 on HR images against G(LR).

    >>> tinygan.manual_seed(0)
    >>> hr = tinygan.rand(2, 1, 28, 28) * 2 - 1
    >>> degrade(hr).shape
    (2, 1, 7, 7)
    >>> SRResNet(channels=8, blocks=1)(degrade(hr)).shape
    (2, 1, 28, 28)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy

from tinygan import nn, ops
from tinygan.autograd.function import no_grad
from tinygan.autograd.tensor import Tensor
from tinygan.gan import losses
from tinygan.gan.algorithm import GAN, frozen
from tinygan.gan.superres_networks import ResidualBlock, SRDiscriminator, SRResNet
from tinygan.gan.training import NonFiniteLossError, evaluating, fit_loop
from tinygan.ops.crossentropy import mse_loss
from tinygan.ops.pooling import avg_pool2d

__all__ = ["ADVERSARIAL_WEIGHT", "FACTOR", "ResidualBlock", "SRDiscriminator", "SRResNet",
           "SRStepRecord", "SuperResolution", "content_features", "content_loss", "degrade",
           "perceptual_loss"]

FACTOR = 4  # 28x28 -> 7x7
ADVERSARIAL_WEIGHT = 1e-3  # Ledig et al.'s weight of the adversarial term


def degrade(images: Any, factor: int = FACTOR) -> Any:
    """The low-resolution input of the SR set-ups: the mean over ``factor`` x ``factor`` blocks.

    (N, C, H, W) -> (N, C, H / factor, W / factor); a Tensor gives a Tensor (differentiable,
    ``avg_pool2d``), a NumPy array a NumPy array of the same dtype.
    """
    shape = tuple(images.shape) if hasattr(images, "shape") else numpy.shape(images)
    if len(shape) != 4 or shape[2] % factor or shape[3] % factor:
        raise ValueError(f"degrade: expected images (N, C, H, W) with H and W multiples of "
                         f"{factor}, got shape {shape}")
    if isinstance(images, Tensor):
        return avg_pool2d(images, factor)
    x = numpy.asarray(images)
    n, c, h, w = x.shape
    blocks = x.reshape(n, c, h // factor, factor, w // factor, factor)
    return blocks.mean(axis=(3, 5), dtype=numpy.float64).astype(x.dtype, copy=False)


# -- the losses -----------------------------------------------------------------------------------


def content_features(classifier: Any, images: Tensor) -> Tensor:
    """phi(x): the classifier's last convolutional feature map, ReLU(conv2(ReLU(conv1(x)))),
    (N, 32, 7, 7) for images (N, 1, 28, 28) in [-1, 1] (SRGAN's VGG54, with the digit
    classifier of ``tinygan.evaluation.classifier``)."""
    return ops.relu(classifier.conv2(ops.relu(classifier.conv1(images))))


def content_loss(classifier: Any, sr: Tensor, hr: Tensor) -> Tensor:
    """l_content = mean (phi(SR) - phi(HR))^2, phi of ``content_features`` (HR: no graph)."""
    with no_grad():
        target = content_features(classifier, hr)
    return mse_loss(content_features(classifier, sr), target)


def perceptual_loss(classifier: Any, sr: Tensor, hr: Tensor, fake_logits: Tensor,
                    adversarial_weight: float = ADVERSARIAL_WEIGHT) -> Tensor:
    """Ledig et al.'s Eq. 3: l_content + 1e-3 l_adv, l_adv = -mean log D(G(LR)) (Eq. 5)."""
    return content_loss(classifier, sr, hr) + adversarial_weight * (
        losses.generator_loss_non_saturating(fake_logits))


# -- training -------------------------------------------------------------------------------------


@dataclass
class SRStepRecord:
    """The terms of one SR step (floats). loss_g: what G descended (the pixel loss for
    SRResNet, the perceptual loss for SRGAN); loss_pixel: mse(G(LR), HR); loss_content and
    loss_adversarial (Eq. 5) and D's terms (Eq. 1, D(x), D(G(LR))): NaN while D is not used."""

    step: int
    loss_g: float
    loss_pixel: float
    loss_content: float
    loss_adversarial: float
    loss_d: float
    d_real: float
    d_fake: float
    grad_norm_g: float
    grad_norm_d: float

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)


class SuperResolution(GAN):
    """SRResNet (``adversarial_weight=0``: the pixel loss alone) or SRGAN (the perceptual
    loss), trained on batches of HR images; the LR input is ``degrade(HR)``.

    ``pixel_steps``: SRGAN's first steps train on the pixel loss alone (D idle), so the
    perceptual loss starts from SRResNet weights, as Ledig et al. do. The state (checkpoints),
    ``history`` and the error on a NaN are ``GAN``'s.
    """

    def __init__(self, generator: nn.Module, discriminator: nn.Module, g_optimizer: Any,
                 d_optimizer: Any, classifier: Any = None,
                 adversarial_weight: float = ADVERSARIAL_WEIGHT, pixel_steps: int = 0,
                 device: Any = None) -> None:
        super().__init__(generator, discriminator, g_optimizer, d_optimizer,
                         latent_dim=(28 // FACTOR) ** 2, device=device)
        if adversarial_weight and classifier is None:
            raise ValueError("SuperResolution: the perceptual loss needs the digit classifier "
                             "(tinygan.evaluation.classifier.load_classifier())")
        self.classifier = classifier
        if classifier is not None:
            classifier.eval().requires_grad_(False)
        self.adversarial_weight, self.pixel_steps = float(adversarial_weight), int(pixel_steps)

    def __repr__(self) -> str:
        return (f"SuperResolution(adversarial_weight={self.adversarial_weight}, pixel_steps="
                f"{self.pixel_steps}, step={self.global_step})")

    def _hr(self, batch: Any) -> Tensor:
        x, _ = self.real_inputs(batch)
        if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28):
            raise ValueError(f"SuperResolution.step: expected HR images (N, 1, 28, 28), got "
                             f"{tuple(x.shape)}")
        return x

    def adversarial(self) -> bool:
        """Whether this step uses D: SRGAN after its ``pixel_steps``."""
        return self.adversarial_weight > 0 and self.global_step >= self.pixel_steps

    def step(self, real: Any) -> SRStepRecord:
        """One step on a batch of HR images: (SRGAN) D descends Eq. 1 on HR against the
        detached G(LR); then G descends its loss (through the frozen D)."""
        hr = self._hr(real)
        lr = degrade(hr)
        self.generator.train()
        self.discriminator.train()
        nan = float("nan")
        d = {"loss_d": nan, "d_real": nan, "d_fake": nan, "grad_norm_d": nan}
        adversarial = self.adversarial()
        if adversarial:
            with no_grad(), frozen(self.generator):
                fake = self.generator(lr)
            with self._kept_if_finite("discriminator", "loss_d") as terms:
                real_logits, fake_logits = self.discriminator(hr), self.discriminator(fake)
                loss = losses.discriminator_loss(real_logits, fake_logits)  # Eq. 1
                terms.update(loss_d=loss, d_real=real_logits.sigmoid().mean(),
                             d_fake=fake_logits.sigmoid().mean())
                self.d_optimizer.zero_grad()
                loss.backward()
                self.d_optimizer.step()
            d = dict(terms)
        g = self._g_step(lr, hr, adversarial)
        self.global_step += 1
        record = SRStepRecord(step=self.global_step, **g, **d)
        for key, v in asdict(record).items():
            self._history.setdefault(key, []).append(v)
        return record

    def _g_step(self, lr: Tensor, hr: Tensor, adversarial: bool) -> dict[str, float]:
        nan = float("nan")
        with frozen(self.discriminator), \
                self._kept_if_finite("generator", "grad_norm_g") as terms:
            sr = self.generator(lr)
            pixel = mse_loss(sr, hr)
            terms.update(loss_pixel=pixel, loss_content=nan, loss_adversarial=nan)
            if adversarial:
                content = content_loss(self.classifier, sr, hr)
                adv = losses.generator_loss_non_saturating(self.discriminator(sr))  # Eq. 5
                loss = content + self.adversarial_weight * adv
                terms.update(loss_content=content, loss_adversarial=adv)
            else:
                loss = pixel
            terms["loss_g"] = loss
            if not math.isfinite(loss.item()):
                raise NonFiniteLossError(self.global_step + 1, "the generator's loss",
                                         {k: float(v.item()) if hasattr(v, "item") else v
                                          for k, v in terms.items()})
            self.g_optimizer.zero_grad()
            loss.backward()
            self.g_optimizer.step()
        return dict(terms)

    def fit(self, data: Any, steps: int, *, batch_size: int | None = None,
            callbacks: Sequence[Any] = (), progress: bool = True) -> dict[str, numpy.ndarray]:
        """``steps`` more steps on HR batches from ``data`` (as ``GAN.fit``: an iterator of
        batches, or a function returning one; Ctrl-C stops at a step boundary); the progress
        bar shows the pixel MSE and, with D, the content loss, L_D and D(G(LR))."""
        fit_loop(self, data, steps, batch_size, callbacks, progress, describe=_progress_text)
        return self.history

    def upscale(self, lr: Any, batch_size: int = 500) -> numpy.ndarray:
        """G(LR) for LR images (N, 1, 7, 7) in [-1, 1], G in eval mode, as a float32 array."""
        x = numpy.asarray(lr.numpy() if isinstance(lr, Tensor) else lr, dtype=numpy.float32)
        out = []
        with evaluating(self.generator):
            for start in range(0, len(x), batch_size):
                batch = Tensor(x[start:start + batch_size]).to(self.device)
                out.append(self.generator(batch).numpy())
        return numpy.concatenate(out) if out else numpy.zeros((0, 1, 28, 28), numpy.float32)


def _progress_text(record: SRStepRecord) -> str:
    text = f"pixel MSE {record.loss_pixel:.4f}"
    if math.isfinite(record.loss_d):
        text += (f"  content {record.loss_content:.4f}  L_D {record.loss_d:.3f}  D(G(LR)) "
                 f"{record.d_fake:.3f}")
    return text
