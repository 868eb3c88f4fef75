"""``LayerNorm``: normalise each sample over its last axes, as ``torch.nn.LayerNorm``.

BatchNorm standardises each channel over the batch, so one sample's output depends on the other
samples: a WGAN-GP critic, whose gradient penalty is taken sample by sample, uses LayerNorm
instead (Gulrajani et al. 2017). The op and its backward (and the backward of the backward) are
in ``tinygan/ops/normalization.py``.

    >>> norm = tinygan.nn.LayerNorm(4)
    >>> y = norm(tinygan.tensor([[1.0, 2.0, 3.0, 4.0]]))
    >>> np.round(y.numpy(), 4)
    array([[-1.3416, -0.4472,  0.4472,  1.3416]], dtype=float32)
"""

from __future__ import annotations

from typing import Any

from tinygan.autograd.tensor import Tensor
from tinygan.nn import init
from tinygan.nn.linear import empty_parameter
from tinygan.nn.module import Module
from tinygan.ops import checks
from tinygan.ops.normalization import layer_norm

__all__ = ["LayerNorm"]


class LayerNorm(Module):
    """y = gamma * (x - mu) / sqrt(var + eps) + beta, mu and var over the last axes of x.

    Shapes: input (*, *normalized_shape), output the same; weight (gamma, init 1) and bias
    (beta, init 0) of shape ``normalized_shape`` when ``elementwise_affine`` (bias left out with
    ``bias=False``). The variance is the biased one, as in PyTorch.
    """

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
        self.normalized_shape = tuple(checks.positive_int(n, "normalized_shape", "LayerNorm")
                                      for n in shape)
        self.eps, self.elementwise_affine = float(eps), elementwise_affine
        affine = elementwise_affine
        self.weight = empty_parameter(self.normalized_shape, device, dtype) if affine else None
        self.bias = (empty_parameter(self.normalized_shape, device, dtype) if affine and bias
                     else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
