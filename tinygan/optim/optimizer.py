"""``Optimizer``: what every update rule shares (parameter groups, ``zero_grad``, ``step``,
``state_dict``); the rules themselves are in ``optimizers.py`` (SGD, Adam) and ``rmsprop.py``.

After ``loss.backward()`` every parameter ``p`` holds ``p.grad`` = dL/dp. An optimizer's
``step()`` moves each parameter a little against its gradient, and ``zero_grad()`` clears the
gradients before the next backward pass (they would otherwise add up)::

    opt = tinygan.optim.Adam(model.parameters(), lr=2e-4, betas=(0.5, 0.999))
    for x in batches:
        opt.zero_grad()
        loss = loss_fn(model(x))
        loss.backward()
        opt.step()

Names, defaults, parameter groups and the ``state_dict()`` layout are PyTorch's, and each
``step()`` gives the same numbers as ``torch.optim`` (the tests check it step for step).

An optimizer works on arrays, not on the graph: ``step()`` reads ``p.grad`` and changes
``p.data`` in place, with the array module ``xp`` of that data (NumPy or CuPy), in the
parameter's own dtype (a float32 model stays float32).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from tinygan import backend
from tinygan.autograd.tensor import Tensor, stored_array

__all__ = ["Optimizer"]


class Optimizer:
    """Base class: parameter groups, ``zero_grad()``, ``state_dict()``/``load_state_dict()``.

    Args:
        params: the tensors to optimize (e.g. ``model.parameters()``), or a list of dicts, each a
            *parameter group* ``{"params": [...], "lr": ..., ...}`` whose options override the
            defaults for those parameters only (e.g. a smaller learning rate for one layer).
        defaults: every option a group may set, with its default value.

    Attributes:
        param_groups: list of dicts, each with ``"params"`` (a list of Tensors) and every option.
        state: dict from parameter to its per-parameter state (momentum buffers, moments).
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]],
                 defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        if isinstance(params, (Tensor, dict)):
            raise TypeError(
                f"{name}: params should be an iterable of Tensors or of dicts (parameter "
                f"groups), got a single {type(params).__name__}; wrap it in a list"
            )
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[Tensor, dict[str, Any]] = {}
        groups = list(params)
        if not groups:
            raise ValueError(f"{name} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (missing options take the defaults)."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: a parameter group must be a dict, got "
                            f"{type(param_group).__name__}")
        params = param_group.get("params")
        if params is None:
            raise ValueError(f"{name}: a parameter group needs a 'params' entry")
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name} can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{name} can't optimize a non-leaf Tensor (one made by an op); "
                                 "optimize the leaf tensors it was computed from")
        unknown = set(param_group) - set(self.defaults) - {"params"}
        if unknown:
            raise ValueError(f"{name}: unknown option(s) {sorted(unknown)} in a parameter group; "
                             f"expected some of {sorted(self.defaults)}")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params) or seen & {id(p) for p in params}:
            raise ValueError(f"{name}: some parameters appear more than once (in one group or "
                             "in two groups); each parameter may be given only once")
        group = {**self.defaults, **param_group, "params": params}
        self._check_options(group)
        self.param_groups.append(group)

    def _check_options(self, group: dict[str, Any]) -> None:
        """Raise ValueError for an option out of range (each optimizer checks its own)."""

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient: ``p.grad = None`` (or zeros, ``set_to_none=False``)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    # Fresh zeros, not an in-place fill: a grad array may be shared elsewhere.
                    g = p.grad.data if isinstance(p.grad, Tensor) else p.grad
                    p.grad = None if set_to_none else backend.get_array_module(g).zeros_like(g)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; return ``closure()`` if one is given.

        ``closure`` is an optional function that zeroes the gradients, recomputes the loss,
        calls ``backward()`` and returns the loss (as in PyTorch; SGD and Adam need it only for
        convenience).
        """
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            updates = []
            for p in group["params"]:
                if p.grad is None:  # no gradient this step (unused or frozen): leave it alone
                    continue
                # The update is done in the parameter's dtype: a float64 grad on a float32
                # parameter must not turn the optimizer state into float64. (asarray also turns
                # a NumPy scalar, the grad of a 0-d parameter, into a 0-d array; a Tensor grad,
                # from backward(create_graph=True), is used by its values.)
                grad = p.grad.data if isinstance(p.grad, Tensor) else p.grad
                grad = backend.get_array_module(stored_array(p)).asarray(grad, dtype=p.dtype)
                if grad.shape != p.shape:
                    raise ValueError(f"{type(self).__name__}.step: a parameter of shape "
                                     f"{p.shape} has a grad of shape {grad.shape}")
                updates.append((p, grad, self.state.setdefault(p, {})))
            self._update_group(updates, group)
        return loss

    def _update_group(self, updates: list[tuple[Tensor, Any, dict[str, Any]]],
                      group: dict[str, Any]) -> None:
        """Update one group's parameters that have a gradient this step: (parameter, gradient,
        state) each, one by one through ``_update``. (Adam updates its small parameters in
        one go instead: the same arithmetic, fewer NumPy calls.)"""
        for p, grad, state in updates:
            self._update(p, grad, state, group)

    def _update(self, p: Tensor, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define _update")

    # -- saving and restoring ------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """A snapshot of the optimizer, in PyTorch's layout (copies: later steps don't alter it).

        ``{"state": {index: {name: array or number}}, "param_groups": [{option: value, ...,
        "params": [index, ...]}]}``, where parameters are numbered 0, 1, 2, ... in the order of
        the groups. Only parameters that have state (have been stepped) appear in ``"state"``.
        """
        index = {id(p): i for i, p in enumerate(p for g in self.param_groups for p in g["params"])}
        groups = [{**{k: v for k, v in g.items() if k != "params"},
                   "params": [index[id(p)] for p in g["params"]]} for g in self.param_groups]
        state = {index[id(p)]: {k: v.copy() if hasattr(v, "copy") else v for k, v in s.items()}
                 for p, s in self.state.items() if id(p) in index and s}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a snapshot from ``state_dict()`` (e.g. one loaded with ``tinygan.load``).

        The optimizer must have been built over parameters of the same shapes, in the same
        groups. Arrays are copied onto each parameter's device and dtype.
        """
        name = type(self).__name__
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError(f"{name}.load_state_dict expects a dict with keys 'state' and "
                             f"'param_groups', as made by state_dict()")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the loaded state has {len(saved_groups)} "
                             f"parameter groups, this optimizer has {len(self.param_groups)}")
        params: dict[int, Tensor] = {}
        for k, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{name}.load_state_dict: group {k} of the loaded state has "
                                 f"{len(saved['params'])} parameters, this optimizer's has "
                                 f"{len(group['params'])}")
            params.update(zip((int(i) for i in saved["params"]), group["params"]))
        new_state: dict[Tensor, dict[str, Any]] = {}
        for i, entries in state_dict["state"].items():
            if int(i) not in params:
                raise ValueError(f"{name}.load_state_dict: state for parameter {i}, which is in "
                                 "no parameter group")
            p = params[int(i)]
            new_state[p] = {key: self._restore(value, p, key, i) for key, value in entries.items()}
        # Options this optimizer knows (PyTorch adds e.g. "foreach", ignored here), all checked
        # before anything changes, so that a bad state dict leaves the optimizer as it was.
        new_groups = [{**group, **{k: v for k, v in saved.items() if k in self.defaults}}
                      for saved, group in zip(saved_groups, self.param_groups)]
        for group in new_groups:
            self._check_options(group)
        self.param_groups, self.state = new_groups, new_state

    def _restore(self, value: Any, p: Tensor, key: str, i: Any) -> Any:
        """A copy of one saved state entry, an array on p's device and dtype (numbers as is)."""
        if isinstance(value, (int, float)) or value is None:
            return value
        if key == "step":  # an array (e.g. from PyTorch's state_dict) -> a Python int
            return int(backend.to_numpy(value))
        if tuple(value.shape) != tuple(p.data.shape):
            raise ValueError(f"{type(self).__name__}.load_state_dict: state '{key}' of parameter "
                             f"{i} has shape {tuple(value.shape)}, the parameter has shape "
                             f"{p.data.shape}")
        xp = backend.get_array_module(p.data)
        return xp.array(backend.to_device(value, p.device), dtype=p.data.dtype, copy=True)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for k, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {k}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join([*lines, ")"])
