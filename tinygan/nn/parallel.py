"""``nn.parallel``: PyTorch's multi-GPU wrappers, on tinygan's one device.

tinygan runs on one device, so spreading a batch over GPUs is the plain call:
``data_parallel(module, x, device_ids)`` is ``module(x)``, and ``DataParallel(module)`` holds
the module as ``.module`` and calls it (its state_dict keys start with ``module.``, as
PyTorch's do).

    >>> net = DataParallel(tinygan.nn.Linear(2, 1))
    >>> list(net.state_dict())
    ['module.weight', 'module.bias']
"""

from __future__ import annotations

from typing import Any

from tinygan.nn.module import Module

__all__ = ["DataParallel", "data_parallel"]


def data_parallel(module: Module, inputs: Any, device_ids: Any = None, output_device: Any = None,
                  dim: int = 0, module_kwargs: Any = None) -> Any:
    """``module(inputs)``: one device, so nothing to scatter or gather."""
    return module(inputs, **(module_kwargs or {}))


class DataParallel(Module):
    """``module``, called as it is (one device); ``.module`` is the wrapped model."""

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None,
                 dim: int = 0) -> None:
        super().__init__()
        self.module = module

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)
