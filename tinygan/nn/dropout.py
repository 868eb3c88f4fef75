"""``Dropout``: during training, zero a random fraction p of the activations."""

from __future__ import annotations

from tinygan.autograd.tensor import Tensor
from tinygan.nn.module import Module
from tinygan.ops.nn_ops import dropout

__all__ = ["Dropout"]


class Dropout(Module):
    """Zero each element with probability p and scale the survivors by 1/(1 - p) in training
    mode; the identity in eval mode. The mask comes from the seeded generator, so a run is
    reproducible after ``tinygan.manual_seed``. Any shape in, the same shape out."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: probability p must be in [0, 1], got {p}")
        self.p, self.inplace = float(p), inplace

    def forward(self, input: Tensor) -> Tensor:
        return dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
