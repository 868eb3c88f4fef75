"""Learning-rate schedules, as ``torch.optim.lr_scheduler``: ``LinearLR`` and ``LambdaLR``.

A scheduler changes its optimizer's ``lr`` each time ``step()`` is called (once per training
step here). The gauss1d set-up uses one on the generator: G's learning rate falls linearly from
1e-3 to 0 over the run while D keeps 1e-3, so D can always catch up with G (the two time-scale
idea of Heusel et al., 2017). Without it the 1-D GAN keeps oscillating around the target (its
spread swings between about 0.9 and 1.6 instead of settling at 1.25): the non-convergence the
GAN chapter names as a failure mode. ``LambdaLR`` takes the factor from a function of the step;
``tinygan.gan.recipes.decay_learning_rates`` uses it for the MNIST runs' late decay of both rates.
"""

from __future__ import annotations

from typing import Any

from tinygan.ops import checks

__all__ = ["LRScheduler", "LambdaLR", "LinearLR"]


class LRScheduler:
    """What every schedule here shares, as ``torch.optim.lr_scheduler.LRScheduler``: the base
    rates (each parameter group's ``lr`` when the schedule was made), the step count t
    (``last_epoch``, PyTorch's name) and lr = base_lr * factor(t) after every ``step()``.
    A schedule defines ``factor()``."""

    def __init__(self, optimizer: Any) -> None:
        self.optimizer = optimizer
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._apply()

    def factor(self) -> float:
        """The multiplier of the base learning rates at the current step."""
        raise NotImplementedError

    def _apply(self) -> None:
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = base * self.factor()

    def step(self) -> None:
        """Advance one step and set the new learning rates."""
        self.last_epoch += 1
        self._apply()

    def get_last_lr(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        return {"base_lrs": list(self.base_lrs), "last_epoch": self.last_epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.base_lrs = [float(v) for v in state["base_lrs"]]
        self.last_epoch = int(state["last_epoch"])
        self._apply()


class LinearLR(LRScheduler):
    """lr_t = base_lr * factor_t, factor_t going linearly from ``start_factor`` (t = 0) to
    ``end_factor`` (t >= ``total_iters``), as ``torch.optim.lr_scheduler.LinearLR``.

    Args:
        optimizer: its every parameter group is scheduled, from the group's ``lr`` now.
        start_factor, end_factor: the multipliers at the start and after ``total_iters`` steps.
        total_iters: the number of ``step()`` calls over which the factor changes.
    """

    def __init__(self, optimizer: Any, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5) -> None:
        if not 0.0 < start_factor <= 1.0 or not 0.0 <= end_factor <= 1.0:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1] and end_factor in [0, 1], "
                             f"got {start_factor} and {end_factor}")
        self.total_iters = checks.positive_int(total_iters, "total_iters", "LinearLR")
        self.start_factor, self.end_factor = float(start_factor), float(end_factor)
        super().__init__(optimizer)

    def factor(self) -> float:
        t = min(self.last_epoch, self.total_iters) / self.total_iters
        return self.start_factor + (self.end_factor - self.start_factor) * t

    def state_dict(self) -> dict[str, Any]:
        return {"start_factor": self.start_factor, "end_factor": self.end_factor,
                "total_iters": self.total_iters, **super().state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.start_factor = float(state["start_factor"])
        self.end_factor = float(state["end_factor"])
        self.total_iters = int(state["total_iters"])
        super().load_state_dict(state)


class LambdaLR(LRScheduler):
    """lr_t = base_lr * lr_lambda(t), t the number of ``step()`` calls so far, as
    ``torch.optim.lr_scheduler.LambdaLR``.

    Args:
        optimizer: its every parameter group is scheduled, from the group's ``lr`` now.
        lr_lambda: the factor as a function of the step t (an int >= 0).

    ``state_dict`` holds the base rates and t, not the function (as PyTorch's, for a plain
    function): the code that makes the scheduler gives the same function again.

    >>> import tinygan
    >>> opt = tinygan.optim.SGD([tinygan.nn.Parameter(tinygan.zeros(1))], lr=0.1)
    >>> sched = LambdaLR(opt, lambda t: 0.5 ** t)
    >>> sched.step(); sched.step()
    >>> sched.get_last_lr()
    [0.025]
    """

    def __init__(self, optimizer: Any, lr_lambda: Any) -> None:
        if not callable(lr_lambda):
            raise TypeError(f"LambdaLR: lr_lambda must be a function of the step, got "
                            f"{type(lr_lambda).__name__}")
        self.lr_lambda = lr_lambda
        super().__init__(optimizer)

    def factor(self) -> float:
        return float(self.lr_lambda(self.last_epoch))
