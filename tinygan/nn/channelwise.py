"""``InstanceNorm2d``, ``PReLU`` and ``Dropout2d``, as ``torch.nn`` (ops in
``tinygan/ops/channelwise.py``).

``InstanceNorm2d`` normalises each image's channel by its own mean and variance (no batch
statistics: the style-transfer and CycleGAN normalisation); ``PReLU`` is a leaky ReLU whose
negative slope is learned (SRGAN's generator); ``Dropout2d`` drops whole feature maps.

    >>> PReLU()(tinygan.tensor([-1.0, 2.0])).tolist()
    [-0.25, 2.0]
"""

from __future__ import annotations

from typing import Any

import numpy

from tinygan import backend
from tinygan.autograd.tensor import Tensor
from tinygan.nn.module import Module, Parameter
from tinygan.ops.channelwise import dropout2d, instance_norm, prelu

__all__ = ["Dropout2d", "InstanceNorm2d", "PReLU"]


def _filled(n: int, value: float, device: Any, dtype: Any) -> Parameter:
    xp = backend.get_device(device).xp
    return Parameter(xp.full((n,), value, dtype=numpy.dtype(dtype or backend.get_default_dtype())))


class InstanceNorm2d(Module):
    """(N, C, H, W) -> the same shape, each (n, c) map normalised over its H x W positions.

    PyTorch's defaults: ``affine=False`` (no weight or bias), ``track_running_stats=False``
    (the statistics are always the sample's own, in training and in eval mode alike).
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        if track_running_stats:
            raise ValueError("InstanceNorm2d: tinygan normalises each sample by its own "
                             "statistics only (track_running_stats=False, PyTorch's default)")
        self.num_features, self.eps, self.momentum = int(num_features), float(eps), momentum
        self.affine = affine
        self.weight = _filled(self.num_features, 1.0, device, dtype) if affine else None
        self.bias = _filled(self.num_features, 0.0, device, dtype) if affine else None

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim != 4 or input.shape[1] != self.num_features:
            raise ValueError(f"InstanceNorm2d({self.num_features}) expects (N, "
                             f"{self.num_features}, H, W), got {input.shape}")
        return instance_norm(input, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, affine={self.affine}"


class PReLU(Module):
    """x for x > 0, else a x, with a learned (``num_parameters`` = 1 or C, init 0.25)."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.num_parameters = int(num_parameters)
        self.weight = _filled(self.num_parameters, float(init), device, dtype)

    def forward(self, input: Tensor) -> Tensor:
        return prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class Dropout2d(Module):
    """Zero each (n, c) feature map with probability p in training mode (survivors scaled by
    1 / (1 - p)); the identity in eval mode."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout2d: probability p must be in [0, 1], got {p}")
        self.p, self.inplace = float(p), inplace

    def forward(self, input: Tensor) -> Tensor:
        return dropout2d(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
