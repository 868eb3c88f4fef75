"""Shape layers: ``Flatten`` (C, H, W) -> C*H*W and ``Unflatten`` back, as in PyTorch."""

from __future__ import annotations

from collections.abc import Sequence

from tinygan import ops
from tinygan.autograd.tensor import Tensor
from tinygan.nn.module import Module

__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    """Merge axes start_dim..end_dim into one: (N, 128, 7, 7) -> (N, 6272) with the defaults."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Tensor) -> Tensor:
        nd = input.ndim
        start, end = self.start_dim % max(nd, 1), self.end_dim % max(nd, 1)
        if start > end:
            raise ValueError(f"{self!r}: start_dim comes after end_dim for an input of shape "
                             f"{tuple(input.shape)}")
        shape = (*input.shape[:start], -1, *input.shape[end + 1:])
        return ops.reshape(input, shape)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split axis ``dim`` into ``unflattened_size``: (N, 6272) -> (N, 128, 7, 7) with
    ``Unflatten(1, (128, 7, 7))``."""

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(int(n) for n in unflattened_size)

    def forward(self, input: Tensor) -> Tensor:
        dim = self.dim % input.ndim
        size = 1
        for n in self.unflattened_size:
            size *= n
        if input.shape[dim] != size:
            raise ValueError(f"{self!r}: axis {self.dim} of the input must have "
                             f"{size} elements, got shape {tuple(input.shape)}")
        shape = (*input.shape[:dim], *self.unflattened_size, *input.shape[dim + 1:])
        return ops.reshape(input, shape)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
