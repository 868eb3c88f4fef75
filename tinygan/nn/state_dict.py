"""Matching a state dict to a module's parameters and buffers, as PyTorch's ``load_state_dict``.

``matching_values`` checks every key and shape at once and raises one ``StateDictError`` listing
every problem, so a module is either loaded whole or left untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy

from tinygan import backend
from tinygan.autograd.tensor import Tensor

__all__ = ["IncompatibleKeys", "StateDictError", "matching_values"]


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(..., strict=False)`` could not match (as PyTorch's named tuple)."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class StateDictError(RuntimeError, ValueError):
    """A state dict that does not fit the module: missing, unexpected or mis-shaped keys."""


def matching_values(own: Mapping[str, Tensor], state_dict: Mapping[str, Any], strict: bool,
                    who: str) -> tuple[dict[str, numpy.ndarray], list[str], list[str]]:
    """The host arrays of ``state_dict`` for each of the module's keys (``own``), with the
    missing and the unexpected keys; raises ``StateDictError`` on any shape mismatch, and with
    ``strict`` on any missing or unexpected key."""
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    values: dict[str, numpy.ndarray] = {}
    mismatched = []
    for key, target in own.items():
        if key not in state_dict:
            continue
        value = state_dict[key]
        if isinstance(value, Tensor):
            value = backend.to_numpy(value.data)
        value = numpy.asarray(value)  # host data: a checkpoint's array or a torch tensor
        if value.shape != target.shape:
            mismatched.append(f"{key}: checkpoint has shape {value.shape}, the model "
                              f"{tuple(target.shape)}")
        values[key] = value
    problems = []
    if mismatched:
        problems.append("size mismatch for " + "; ".join(mismatched))
    if strict and missing:
        problems.append("missing key(s): " + ", ".join(missing))
    if strict and unexpected:
        problems.append("unexpected key(s): " + ", ".join(unexpected))
    if problems:
        raise StateDictError(f"Error(s) in loading state_dict for {who}: "
                             + "; ".join(problems))
    return values, missing, unexpected
