"""Dense layers: ``Linear`` (y = x W^T + b) and ``Embedding`` (a trainable lookup table)."""

from __future__ import annotations

from typing import Any

from tinygan import backend
from tinygan.autograd.tensor import Tensor
from tinygan.nn import init
from tinygan.nn.module import Module, Parameter
from tinygan.ops import checks
from tinygan.ops.nn_ops import embedding, linear

__all__ = ["Embedding", "Linear", "empty_parameter"]


def empty_parameter(shape: tuple[int, ...], device: Any, dtype: Any) -> Parameter:
    """A Parameter of zeros of ``shape`` (the layers fill it in ``reset_parameters``)."""
    dev = backend.get_device(device)
    return Parameter(dev.xp.zeros(shape, dtype=dtype or backend.get_default_dtype()))


class Linear(Module):
    """A fully connected layer: y = x W^T + b.

    Shapes: input (*, in_features), output (*, out_features); weight (out_features,
    in_features), bias (out_features,), as ``torch.nn.Linear``.

    Initialisation (PyTorch's default): W and b ~ U[-1/sqrt(in_features), 1/sqrt(in_features)].
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in_features = checks.positive_int(in_features, "in_features", "Linear")
        self.out_features = checks.positive_int(out_features, "out_features", "Linear")
        self.weight = empty_parameter((self.out_features, self.in_features), device, dtype)
        self.bias = empty_parameter((self.out_features,), device, dtype) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_init_(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        checks.input_shape(self, input, ("*", self.in_features))  # an error names the layer
        return linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Embedding(Module):
    """A lookup table: integer i -> row i of ``weight`` (num_embeddings, embedding_dim).

    Shapes: input (*) integers in [0, num_embeddings), output (*, embedding_dim). Initialised
    N(0, 1) as PyTorch, with the ``padding_idx`` row (if any) zeroed and given no gradient. In a
    conditional GAN it turns a class label into a learned vector.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        if padding_idx is not None:
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(f"Embedding: padding_idx must be within [-{num_embeddings}, "
                                 f"{num_embeddings}), got {padding_idx}")
            padding_idx %= self.num_embeddings
        self.padding_idx = padding_idx
        self.weight = empty_parameter((self.num_embeddings, self.embedding_dim), device, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    def forward(self, input: Any) -> Tensor:
        return embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        return s + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")
