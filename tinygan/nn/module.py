"""``Module`` and ``Parameter``: the base of every layer and model.

A Module is a plain Python object whose attributes may be Parameters (the tensors an optimizer
trains), buffers (tensors that are state but not trained, such as BatchNorm's running mean) and
other Modules. Nothing is registered by hand: ``parameters()`` finds them by walking the
attributes, including lists, tuples and dicts of Modules, the way needle does::

    class MLP(Module):
        def __init__(self):
            super().__init__()
            self.hidden = Linear(2, 16)       # a child module: its parameters are found
            self.out = Linear(16, 1)

        def forward(self, x):
            return self.out(relu(self.hidden(x)))

    list(dict(MLP().named_parameters()))  # ['hidden.weight', 'hidden.bias', 'out.weight', ...]

The names are the attribute paths, so they are exactly PyTorch's ``state_dict`` keys for the same
model, and weights can be moved between tinygan and PyTorch (see ``state_dict``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy

from tinygan import backend
from tinygan.autograd.tensor import Tensor
from tinygan.nn.parameter import Parameter
from tinygan.nn.state_dict import IncompatibleKeys, StateDictError, matching_values

__all__ = ["IncompatibleKeys", "Module", "Parameter", "StateDictError"]


def _children_of(name: str, value: Any) -> Iterator[tuple[str, Module]]:
    """The modules held by one attribute: itself, or the items of a list, tuple or dict."""
    if isinstance(value, Module):
        yield name, value
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            if isinstance(item, Module):
                yield f"{name}.{i}", item
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, Module):
                yield f"{name}.{key}", item


class Module:
    """Base class of layers and models: subclass it and write ``forward``.

    Calling the module (``module(x)``) calls ``forward(x)``. ``training`` is True after
    construction; ``eval()`` switches it off (BatchNorm then uses its running statistics and
    Dropout does nothing) and ``train()`` back on.
    """

    training: bool = True
    _buffer_names: tuple[str, ...] = ()  # names registered by register_buffer, per instance

    def __init__(self) -> None:
        self.training = True
        self._buffer_names = ()

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # -- what a module holds ----------------------------------------------------------------
    def register_buffer(self, name: str, tensor: Tensor | None) -> None:
        """Keep ``tensor`` as state that is saved in ``state_dict`` but is not a parameter."""
        if name not in self._buffer_names:
            self._buffer_names = (*self._buffer_names, name)
        setattr(self, name, tensor)

    def add_module(self, name: str, module: Module | None) -> None:
        """Hold ``module`` under ``name`` (PyTorch's spelling of ``setattr(self, name, module)``,
        for names that are not identifiers, such as ``"initial:100-512:convt"``)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} is a {type(module).__name__}, not a Module")
        setattr(self, name, module)

    register_module = add_module

    def _own_parameters(self) -> Iterator[tuple[str, Parameter]]:
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield name, value

    def _own_buffers(self) -> Iterator[tuple[str, Tensor]]:
        for name in self._buffer_names:
            value = getattr(self, name, None)
            if isinstance(value, Tensor):
                yield name, value

    def _own_state(self) -> list[tuple[str, Tensor]]:
        """Parameters then buffers of this module alone: what it puts in a state_dict."""
        return [*self._own_parameters(), *self._own_buffers()]

    def _state_items(self) -> dict[str, Tensor]:
        """Every parameter and buffer under its state_dict key, in PyTorch's order."""
        items: dict[str, Tensor] = {}
        for mod_name, module in self.named_modules():
            pre = f"{mod_name}." if mod_name else ""
            for name, t in module._own_state():
                items.setdefault(pre + name, t)
        return items

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct sub-modules and their attribute names (``"0"``, ``"fc"``, ``"blocks.2"``);
        a module held under two names is listed once, under the first."""
        seen: set[int] = set()
        for name, value in vars(self).items():
            if name.startswith("_") or not isinstance(value, (Module, list, tuple, dict)):
                continue  # (the check first: most attributes are numbers and parameters)
            for child_name, child in _children_of(name, value):
                if id(child) not in seen:
                    seen.add(id(child))
                    yield child_name, child

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and all below it, depth first, each once, with dotted names."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            kids = [(f"{name}.{n}" if name else n, m) for n, m in module.named_children()]
            stack.extend(reversed(kids))

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Every parameter, with its dotted name (the ``state_dict`` key); shared ones once."""
        seen: set[int] = set()
        for mod_name, module in self.named_modules(prefix):
            for name, p in module._own_parameters():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{mod_name}.{name}" if mod_name else name), p

    def parameters(self) -> Iterator[Parameter]:
        """Every parameter of this module and its sub-modules (what an optimizer is given)."""
        for _, p in self.named_parameters():
            yield p

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        for mod_name, module in self.named_modules(prefix):
            for name, b in module._own_buffers():
                yield (f"{mod_name}.{name}" if mod_name else name), b

    def buffers(self) -> Iterator[Tensor]:
        for _, b in self.named_buffers():
            yield b

    def apply(self, fn: Any) -> Module:
        """Call ``fn(module)`` on every sub-module and then on this one; returns self.

        PyTorch's idiom for custom initialisation: ``netG.apply(weights_init)``.
        """
        for module in reversed(list(self.modules())):
            fn(module)
        return self

    # -- modes and gradients ----------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode on this module and every sub-module; returns self."""
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode: BatchNorm uses running statistics, Dropout is off. Returns self."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (``grad = None``, as PyTorch's default)."""
        for p in self.parameters():
            p.grad = None

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (``False``) or unfreeze every parameter; returns self.

        A frozen module still passes gradients through to its input (the generator's update
        flows through a frozen discriminator), but its own parameters get none.
        """
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    # -- where and in which dtype the numbers live --------------------------------------------
    def _apply(self, fn: Any, floating_only: bool = False) -> Module:
        for _, module in self.named_modules():
            for _, t in module._own_state():
                if floating_only and t.data.dtype.kind != "f":
                    continue
                t.data = fn(t.data)
                if t.grad is not None:
                    t.grad = fn(t.grad)
        return self

    def to(self, device: str | backend.Device | None = None, dtype: Any = None) -> Module:
        """Move every parameter and buffer to ``device`` and/or cast floating ones to ``dtype``,
        in place (the Parameter objects stay the same, so an optimizer made before still works).
        Returns self, as PyTorch."""
        if device is not None:
            dev = backend.get_device(device)
            self._apply(lambda a: backend.to_device(a, dev))
        if dtype is not None:
            self._apply(lambda a: a.astype(dtype), floating_only=True)
        return self

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self) -> Module:
        return self.to("cuda")

    def float(self) -> Module:
        """Cast floating parameters and buffers to float32."""
        return self.to(dtype=numpy.float32)

    def double(self) -> Module:
        """Cast floating parameters and buffers to float64 (for gradient checks)."""
        return self.to(dtype=numpy.float64)

    # -- saving and loading -----------------------------------------------------------------
    def state_dict(self) -> dict[str, numpy.ndarray]:
        """Every parameter and buffer as a NumPy copy, under PyTorch's keys for the same model.

        Order as PyTorch: each module's parameters, then its buffers, then its children.
        ``torch_model.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})`` loads it.
        """
        return {k: backend.to_numpy(t.data).copy() for k, t in self._state_items().items()}

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True
    ) -> IncompatibleKeys:
        """Copy values from ``state_dict`` into this module's parameters and buffers, in place.

        Values may be NumPy arrays, tinygan Tensors, or anything NumPy can convert (such as CPU
        ``torch`` tensors); they are cast to each parameter's dtype and moved to its device.

        A key whose shape differs from the module's always raises (as PyTorch). With
        ``strict=True`` (the default) missing and unexpected keys raise too, in one
        ``StateDictError`` that lists them all; with ``strict=False`` they are returned as
        ``IncompatibleKeys(missing_keys, unexpected_keys)`` and the matching keys are loaded.
        """
        own = self._state_items()
        values, missing, unexpected = matching_values(own, state_dict, strict,
                                                      type(self).__name__)
        for key, value in values.items():
            target = own[key]
            target.data[...] = backend.to_device(value.astype(target.dtype), target.device)
        return IncompatibleKeys(missing, unexpected)

    # -- printing ---------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The layer's settings shown inside its parentheses, e.g. ``in_features=2, ...``."""
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): " + repr(child).replace("\n", "\n  ")
                 for name, child in self.named_children()]
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        body = "\n  ".join(([extra] if extra else []) + lines)
        return f"{type(self).__name__}(\n  {body}\n)"
