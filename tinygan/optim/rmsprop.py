r"""RMSprop (Hinton's lecture 6e, 2012): steps scaled by a running RMS of the gradient.

The original Wasserstein GAN trains its critic with RMSprop, lr 5e-5 (Arjovsky et al. 2017:
momentum-based optimizers were unstable with the weight-clipped critic).

    >>> w = tinygan.nn.Parameter(tinygan.tensor([1.0]).data)
    >>> opt = RMSprop([w], lr=0.01)
    >>> (w * w).sum().backward(); opt.step()
    >>> round(w.item(), 4)    # the first step is lr / sqrt(1 - alpha) = 0.1 in size
    0.9
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tinygan import backend
from tinygan.autograd.tensor import Tensor
from tinygan.optim.optimizers import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop, PyTorch's rule (as ``torch.optim.RMSprop`` documents it), v_0 = b_0 = ḡ_0 = 0::

        if maximize:          g_t <- -g_t
        if weight_decay λ≠0:  g_t <- g_t + λ θ_{t-1}
        v_t <- α v_{t-1} + (1 - α) g_t²                 a running mean of g²
        if centered:
            ḡ_t <- α ḡ_{t-1} + (1 - α) g_t               a running mean of g
            ṽ_t <- v_t - ḡ_t²                            a running variance
        else:
            ṽ_t <- v_t
        if momentum μ>0:
            b_t <- μ b_{t-1} + g_t / (sqrt(ṽ_t) + ε)
            θ_t <- θ_{t-1} - γ b_t
        else:
            θ_t <- θ_{t-1} - γ g_t / (sqrt(ṽ_t) + ε)

    There is no bias correction (unlike Adam): the first steps are larger, 1 / sqrt(1 - α)
    times γ.

    Args:
        params: parameters or parameter groups (see ``Optimizer``).
        lr: learning rate γ (default 1e-2). alpha: α (default 0.99). eps: ε (default 1e-8).
        weight_decay: L2 penalty λ (default 0). momentum: μ (default 0).
        centered: divide by the running standard deviation instead of the RMS.
        maximize: ascend the objective instead of descending it.

    State per parameter: ``"step"``, ``"square_avg"`` (v), ``"momentum_buffer"`` (b, with
    momentum), ``"grad_avg"`` (ḡ, when centered): PyTorch's names.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-2,
                 alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0,
                 momentum: float = 0.0, centered: bool = False, *,
                 maximize: bool = False) -> None:
        defaults = {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay,
                    "momentum": momentum, "centered": centered, "maximize": maximize}
        super().__init__(params, defaults)

    def _check_options(self, group: dict[str, Any]) -> None:
        for key in ("lr", "alpha", "eps", "weight_decay", "momentum"):
            if not group[key] >= 0.0:
                raise ValueError(f"RMSprop: {key} must be >= 0, got {group[key]}")
        if not group["alpha"] <= 1.0:
            raise ValueError(f"RMSprop: alpha must be in [0, 1], got {group['alpha']}")

    def _update(self, p: Tensor, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        xp = backend.get_array_module(p.data)
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(grad)
            if group["momentum"] > 0:
                state["momentum_buffer"] = xp.zeros_like(grad)
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(grad)
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * p.data
        state["step"] += 1
        alpha = group["alpha"]
        v = state["square_avg"]
        v *= alpha
        v += (1 - alpha) * grad * grad                    # v = α v + (1 - α) g²
        if group["centered"]:
            g_avg = state.setdefault("grad_avg", xp.zeros_like(grad))
            g_avg *= alpha
            g_avg += (1 - alpha) * grad                   # ḡ = α ḡ + (1 - α) g
            denom = xp.sqrt(v - g_avg * g_avg) + group["eps"]
        else:
            denom = xp.sqrt(v) + group["eps"]
        if group["momentum"] > 0:
            buf = state.setdefault("momentum_buffer", xp.zeros_like(grad))
            buf *= group["momentum"]
            buf += grad / denom                           # b = μ b + g / (sqrt(ṽ) + ε)
            p.data -= group["lr"] * buf
        else:
            p.data -= group["lr"] * grad / denom
