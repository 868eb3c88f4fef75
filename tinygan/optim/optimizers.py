"""``SGD`` and ``Adam``: the rules that turn gradients into parameter updates, each written as
the equations of its docstring (the in-place tricks are named helpers of ``ops/kernels/``).

Both subclass ``Optimizer`` (``optimizer.py``), which keeps the parameter groups, ``zero_grad``,
``step`` and ``state_dict``; a subclass gives the per-parameter update ``_update`` and checks its
options in ``_check_options``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tinygan import backend
from tinygan.autograd.tensor import Tensor, stored_array
from tinygan.ops import kernels
from tinygan.optim.optimizer import Optimizer

__all__ = ["SGD", "Adam", "Optimizer"]


class SGD(Optimizer):
    r"""Stochastic gradient descent, with optional momentum, weight decay and Nesterov momentum.

    For each parameter :math:`\theta` with gradient :math:`g_t = \nabla_\theta f_t(\theta_{t-1})`
    at step t (PyTorch's rule, as ``torch.optim.SGD`` documents it)::

        if maximize:         g_t <- -g_t
        if weight_decay λ≠0: g_t <- g_t + λ θ_{t-1}
        if momentum μ≠0:
            if t > 1:        b_t <- μ b_{t-1} + (1 - τ) g_t        (τ = dampening)
            else:            b_t <- g_t
            if nesterov:     g_t <- g_t + μ b_t
            else:            g_t <- b_t
        θ_t <- θ_{t-1} - γ g_t                                      (γ = lr)

    Note the momentum buffer b sums gradients, and lr multiplies it afterwards (Sutskever et al.
    scale the gradient by lr inside the buffer instead; the two differ when lr changes).

    Args:
        params: parameters or parameter groups (see ``Optimizer``).
        lr: learning rate γ (default 1e-3).
        momentum: momentum factor μ (default 0).
        dampening: dampening τ for momentum (default 0).
        weight_decay: L2 penalty λ (default 0).
        nesterov: Nesterov momentum (needs momentum > 0 and dampening = 0).
        maximize: ascend the objective instead of descending it.

    State per parameter: ``"momentum_buffer"`` (b, only when momentum ≠ 0).
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 momentum: float = 0.0, dampening: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False, *, maximize: bool = False) -> None:
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize}
        super().__init__(params, defaults)

    def _check_options(self, group: dict[str, Any]) -> None:
        for key in ("lr", "momentum", "weight_decay"):
            if not group[key] >= 0.0:
                raise ValueError(f"SGD: {key} must be >= 0, got {group[key]}")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum > 0 and zero dampening, "
                             f"got momentum={group['momentum']}, dampening={group['dampening']}")

    def _update(self, p: Tensor, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * p.data
        mu = group["momentum"]
        if mu != 0:
            buf = state.get("momentum_buffer")
            if buf is None:  # t = 1: the buffer starts as the gradient itself
                buf = state["momentum_buffer"] = backend.get_array_module(p.data).array(grad)
            else:
                buf *= mu
                buf += (1 - group["dampening"]) * grad
            grad = grad + mu * buf if group["nesterov"] else buf
        p.data -= group["lr"] * grad


class Adam(Optimizer):
    r"""Adam: per-coordinate step sizes from running moments of the gradient (Kingma & Ba, 2015).

    For each parameter θ with gradient g_t = ∇θ f_t(θ_{t-1}) at step t = 1, 2, ..., and
    m_0 = v_0 = v_0^max = 0 (PyTorch's rule, as ``torch.optim.Adam`` documents it)::

        if maximize:         g_t <- -g_t
        if weight_decay λ≠0: g_t <- g_t + λ θ_{t-1}
        m_t <- β1 m_{t-1} + (1 - β1) g_t            first moment: a running mean of g
        v_t <- β2 v_{t-1} + (1 - β2) g_t²           second moment: a running mean of g²
        m̂_t <- m_t / (1 - β1^t)                     bias corrections: m and v start at 0
        if amsgrad:
            v_t^max <- max(v_{t-1}^max, v_t)
            v̂_t <- v_t^max / (1 - β2^t)
        else:
            v̂_t <- v_t / (1 - β2^t)
        θ_t <- θ_{t-1} - γ m̂_t / (sqrt(v̂_t) + ε)

    The step is about γ in every coordinate whatever the gradient's scale, which is why one lr
    works for layers of very different sizes. The bias corrections are Python floats, so they
    never change the parameter's dtype. (weight_decay here is L2 added to the gradient, as in
    ``torch.optim.Adam``; decoupled decay is AdamW, not implemented.)

    Args:
        params: parameters or parameter groups (see ``Optimizer``).
        lr: learning rate γ (default 1e-3).
        betas: (β1, β2), decay rates of the two moments (default (0.9, 0.999)); GANs commonly
            use (0.5, 0.999) (Radford et al., 2016).
        eps: ε, added to the denominator (default 1e-8).
        weight_decay: L2 penalty λ (default 0).
        amsgrad: use the running maximum of v (Reddi et al., 2018).
        maximize: ascend the objective instead of descending it.

    State per parameter: ``"step"`` (t, an int), ``"exp_avg"`` (m), ``"exp_avg_sq"`` (v), and
    ``"max_exp_avg_sq"`` (v^max) with amsgrad.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize}
        super().__init__(params, defaults)

    def _check_options(self, group: dict[str, Any]) -> None:
        for key in ("lr", "eps", "weight_decay"):
            if not group[key] >= 0.0:
                raise ValueError(f"Adam: {key} must be >= 0, got {group[key]}")
        betas = tuple(group["betas"])
        if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"Adam: betas must be two numbers in [0, 1), got {group['betas']}")
        group["betas"] = betas

    def _update(self, p: Tensor, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        xp = backend.get_array_module(grad)
        beta1, beta2 = group["betas"]
        if not state:  # first step: the moments start at zero (in the parameter's memory order)
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(stored_array(p))
            state["exp_avg_sq"] = xp.zeros_like(stored_array(p))
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = xp.zeros_like(stored_array(p))
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * p.data
        state["step"] += 1
        t = state["step"]
        bias_correction1 = 1 - beta1**t  # Python floats: no float64 arrays in a float32 model
        bias_correction2 = 1 - beta2**t
        if group["amsgrad"] and "max_exp_avg_sq" not in state:  # switched on after some steps
            state["max_exp_avg_sq"] = xp.zeros_like(stored_array(p))
        # m = β1 m + (1 - β1) g,  v = β2 v + (1 - β2) g²,  v^max = max(v^max, v) (amsgrad),
        # θ = θ - γ m̂ / (sqrt(v̂) + ε)  with m̂ = m / bias_correction1, v̂ = v / bias_correction2
        # (v̂ from v^max with amsgrad): all in place, a cache-sized block at a time (ops/kernels/)
        kernels.adam_update_(stored_array(p), grad, state["exp_avg"], state["exp_avg_sq"],
                             state.get("max_exp_avg_sq") if group["amsgrad"] else None,
                             (beta1, beta2), group["lr"], bias_correction1, bias_correction2,
                             group["eps"])

    def _update_group(self, updates: list[tuple[Tensor, Any, dict[str, Any]]],
                      group: dict[str, Any]) -> None:
        """Each parameter by ``_update``; but the small ones (at most one cache block each,
        past their first step, plain Adam on NumPy arrays), those at the same step and of one
        dtype, in one flat update each, ``kernels.adam_update_many_``: the same arithmetic
        with a few NumPy calls in all instead of ~13 per parameter."""
        batches: dict[tuple[int, Any], list[tuple[Tensor, Any, dict[str, Any]]]] = {}
        if not (group["amsgrad"] or group["maximize"] or group["weight_decay"]):
            for p, grad, state in updates:
                if (state and grad.nbytes <= kernels.CACHE_BLOCK_BYTES
                        and backend.get_array_module(grad).__name__ == "numpy"):
                    batches.setdefault((state["step"], grad.dtype), []).append((p, grad, state))
        batches = {key: batch for key, batch in batches.items() if len(batch) > 1}
        together = {id(p) for batch in batches.values() for p, _, _ in batch}
        for p, grad, state in updates:
            if id(p) not in together:
                self._update(p, grad, state, group)
        beta1, beta2 = group["betas"]
        for (step, _), batch in batches.items():
            t = step + 1
            for _, _, state in batch:
                state["step"] = t
            kernels.adam_update_many_(
                [stored_array(p) for p, _, _ in batch], [grad for _, grad, _ in batch],
                [state["exp_avg"] for _, _, state in batch],
                [state["exp_avg_sq"] for _, _, state in batch], (beta1, beta2), group["lr"],
                1 - beta1**t, 1 - beta2**t, group["eps"])
