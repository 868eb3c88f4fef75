"""Activation layers: thin Modules around the activation ops (they hold no parameters)."""

from __future__ import annotations

from tinygan import ops
from tinygan.autograd.tensor import Tensor
from tinygan.nn.module import Module

__all__ = ["LeakyReLU", "ReLU", "Sigmoid", "Tanh"]


class ReLU(Module):
    """max(x, 0), elementwise. Any shape in, the same shape out."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace  # accepted for PyTorch's signature; tinygan never works in place

    def forward(self, input: Tensor) -> Tensor:
        return ops.relu(input)


class LeakyReLU(Module):
    """x for x > 0, else negative_slope * x (0.2 in the GAN set-ups; PyTorch's default 0.01)."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = float(negative_slope)
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return ops.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Tanh(Module):
    """tanh x, elementwise: squashes to (-1, 1), the range of the images G makes."""

    def forward(self, input: Tensor) -> Tensor:
        return ops.tanh(input)


class Sigmoid(Module):
    """1 / (1 + e^-x), elementwise: a logit to a probability. (A GAN's losses take the logit
    itself; see tinygan.functional.binary_cross_entropy_with_logits.)"""

    def forward(self, input: Tensor) -> Tensor:
        return ops.sigmoid(input)
