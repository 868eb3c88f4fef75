"""``BatchNorm1d`` and ``BatchNorm2d``: normalise each channel over the batch, as ``torch.nn``.

DCGAN puts BatchNorm after most layers of G and D: it keeps every layer's activations at zero
mean and unit variance, so gradients stay well scaled while the two networks chase each other.
The op and its backward are in ``tinygan/ops/normalization.py``.
"""

from __future__ import annotations

from typing import Any

import numpy

from tinygan import backend
from tinygan.autograd.tensor import Tensor
from tinygan.nn import init
from tinygan.nn.linear import empty_parameter
from tinygan.nn.module import Module
from tinygan.ops import checks
from tinygan.ops.normalization import batch_norm

__all__ = ["BatchNorm1d", "BatchNorm2d"]


class _BatchNorm(Module):
    """The shared part of BatchNorm1d/2d: parameters, buffers, the running-statistics rule.

    Parameters (when ``affine``): weight (gamma, init 1) and bias (beta, init 0; left out with
    ``bias=False``, as in PyTorch 2.13), both (C,).
    Buffers (when ``track_running_stats``): running_mean (init 0), running_var (init 1), and
    num_batches_tracked (int64), the same names and types as PyTorch so state_dicts match.
    ``momentum=None`` makes the running statistics a plain average over all batches seen.
    """

    _layouts: tuple[tuple[str, ...], ...] = ()  # the input shapes accepted; C: the channels

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        self.num_features = checks.positive_int(num_features, "num_features", type(self).__name__)
        self.eps, self.momentum = float(eps), momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        c = self.num_features
        self.weight = empty_parameter((c,), device, dtype) if affine else None
        self.bias = empty_parameter((c,), device, dtype) if affine and bias else None
        if track_running_stats:
            xp = backend.get_device(device).xp
            self.register_buffer("running_mean", empty_parameter((c,), device, dtype).detach())
            self.register_buffer("running_var", empty_parameter((c,), device, dtype).detach())
            self.register_buffer("num_batches_tracked", Tensor(xp.zeros((), dtype=numpy.int64)))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            self.num_batches_tracked.data[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        c = self.num_features
        checks.input_shape(self, input,
                           *(tuple(c if n == "C" else n for n in lay) for lay in self._layouts))
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.data)
        use_batch_stats = self.training or self.running_mean is None
        keep = not self.training or self.track_running_stats
        return batch_norm(input, self.running_mean if keep else None,
                          self.running_var if keep else None, self.weight, self.bias,
                          use_batch_stats, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs over N (and L), one (mu, var) per C."""

    _layouts = (("N", "C"), ("N", "C", "L"))


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of images (N, C, H, W) over N, H and W, one (mu, var) per channel."""

    _layouts = (("N", "C", "H", "W"),)
