"""``Sequential``: modules applied one after the other."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from tinygan.nn.module import Module

__all__ = ["Sequential"]


class Sequential(Module):
    """Apply modules in order: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    The modules are stored as attributes named "0", "1", ... (or the keys of an OrderedDict), so
    the state_dict keys are PyTorch's: ``"0.weight"``, ``"2.bias"``.
    """

    def __init__(self, *args: Any) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            items = list(args[0].items())
        else:
            items = [(str(i), m) for i, m in enumerate(args)]
        for name, module in items:
            if not isinstance(module, Module):
                raise TypeError(f"Sequential: {name} is a {type(module).__name__}, not a Module")
            setattr(self, name, module)
        self._names = [name for name, _ in items]

    def forward(self, input: Any) -> Any:
        for module in self:
            input = module(input)
        return input

    def __iter__(self) -> Iterator[Module]:
        return (getattr(self, name) for name in self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return Sequential(OrderedDict((n, getattr(self, n)) for n in self._names[index]))
        return getattr(self, self._names[index])

    def add_module(self, name: str, module: Module | None) -> None:
        """Add ``module`` at the end under ``name`` (as PyTorch's, it runs in that order)."""
        super().add_module(name, module)
        if name not in self._names:
            self._names.append(name)

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end (named by its position); returns self."""
        name = str(len(self._names))
        setattr(self, name, module)
        self._names.append(name)
        return self
