"""Convolution layers: ``Conv2d`` (D's downsampling) and ``ConvTranspose2d`` (G's upsampling).

The arithmetic is in ``tinygan/ops/conv.py`` (im2col, one matmul, col2im); these Modules hold
the weights and check their input.
"""

from __future__ import annotations

from typing import Any

from tinygan.autograd.tensor import Tensor
from tinygan.nn import init
from tinygan.nn.linear import empty_parameter
from tinygan.nn.module import Module
from tinygan.ops import checks, conv
from tinygan.ops.checks import int_pair

__all__ = ["Conv2d", "ConvTranspose2d"]


class _ConvNd(Module):
    """What Conv2d and ConvTranspose2d share: settings, weight, bias, the input check, repr."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any,
                 padding: Any, dilation: Any, groups: int, bias: bool, padding_mode: str,
                 weight_shape: tuple[int, ...], device: Any, dtype: Any) -> None:
        super().__init__()
        name = type(self).__name__
        if groups != 1:
            raise ValueError(f"{name}: only groups=1 is implemented, got groups={groups}")
        if padding_mode != "zeros":
            raise ValueError(f"{name}: only padding_mode='zeros' is implemented, got "
                             f"{padding_mode!r}")
        self.in_channels = checks.positive_int(in_channels, "in_channels", name)
        self.out_channels = checks.positive_int(out_channels, "out_channels", name)
        self.kernel_size = int_pair(kernel_size, "kernel_size", name)
        self.stride = int_pair(stride, "stride", name)
        self.padding = int_pair(padding, "padding", name)
        self.dilation = int_pair(dilation, "dilation", name)
        self.groups, self.padding_mode = groups, padding_mode
        self.weight = empty_parameter(weight_shape, device, dtype)
        self.bias = empty_parameter((self.out_channels,), device, dtype) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: W, b ~ U[-1/sqrt(fan_in), 1/sqrt(fan_in)], fan_in from W's
        shape[1] * kh * kw (in_channels for Conv2d, out_channels for ConvTranspose2d)."""
        init.default_init_(self.weight, self.bias)

    def _check_input(self, input: Tensor) -> None:
        checks.input_shape(self, input, ("N", self.in_channels, "H", "W"))

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if getattr(self, "output_padding", (0, 0)) != (0, 0):
            s += f", output_padding={self.output_padding}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv2d(_ConvNd):
    """2-D convolution, as ``torch.nn.Conv2d``.

    Shapes: input (N, in_channels, H, W), output (N, out_channels, OH, OW) with
    OH = floor((H + 2 padding - dilation (kh - 1) - 1) / stride) + 1 (the same for OW);
    weight (out_channels, in_channels, kh, kw), bias (out_channels,).
    In DCGAN's discriminator, k=4, s=2, p=1 halves the image: 28 -> 14 -> 7.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        k = int_pair(kernel_size, "kernel_size", "Conv2d")
        super().__init__(in_channels, out_channels, k, stride, padding, dilation, groups, bias,
                         padding_mode, (int(out_channels), int(in_channels), *k), device, dtype)

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        return conv.conv2d(input, self.weight, self.bias, self.stride, self.padding,
                           self.dilation)


class ConvTranspose2d(_ConvNd):
    """2-D transposed ("fractionally strided") convolution, as ``torch.nn.ConvTranspose2d``.

    Shapes: input (N, in_channels, H, W), output (N, out_channels, OH, OW) with
    OH = (H - 1) stride - 2 padding + dilation (kh - 1) + output_padding + 1;
    weight (in_channels, out_channels, kh, kw), bias (out_channels,).
    In DCGAN's generator, k=4, s=2, p=1 doubles the image: 7 -> 14 -> 28.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        self.output_padding = int_pair(output_padding, "output_padding", "ConvTranspose2d")
        k = int_pair(kernel_size, "kernel_size", "ConvTranspose2d")
        super().__init__(in_channels, out_channels, k, stride, padding, dilation, groups, bias,
                         padding_mode, (int(in_channels), int(out_channels), *k), device, dtype)

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        return conv.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                     self.output_padding, 1, self.dilation)
