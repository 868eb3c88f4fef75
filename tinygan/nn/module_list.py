"""``ModuleList``: a list of modules whose parameters the parent finds, as ``torch.nn``.

Stored like ``Sequential``'s, as attributes "0", "1", ..., so the state_dict keys are
PyTorch's (``blocks.0.weight``); unlike ``Sequential`` it has no ``forward``: the parent decides
how to call its items.

    >>> layers = ModuleList([tinygan.nn.Linear(2, 2) for _ in range(3)])
    >>> len(layers), len(list(layers.parameters()))
    (3, 6)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from tinygan.nn.module import Module

__all__ = ["ModuleList"]


class ModuleList(Module):
    """Holds modules in a list: index it, iterate it, ``append``/``extend`` it."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        self._names: list[str] = []
        if modules is not None:
            self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList: item {len(self)} is a {type(module).__name__}, not a "
                            "Module")
        name = str(len(self._names))
        setattr(self, name, module)
        self._names.append(name)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for module in modules:
            self.append(module)
        return self

    def __iter__(self) -> Iterator[Module]:
        return (getattr(self, name) for name in self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return ModuleList([getattr(self, n) for n in self._names[index]])
        return getattr(self, self._names[index])

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("ModuleList has no forward: call its items (for layer in self.layers)")
