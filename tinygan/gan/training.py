"""The machinery around Algorithm 1 that is not the algorithm: the record of a step's terms, the
loop over many steps with its progress bar and callbacks, Ctrl-C that stops between steps,
errors for a loss gone NaN, and the random generators' state for exact resumes.
``tinygan.gan`` holds the algorithm itself.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

from tqdm.auto import tqdm

from tinygan import backend

__all__ = ["NonFiniteLossError", "StepRecord", "TrainingInterrupted", "fit_loop",
           "get_rng_state", "set_rng_state"]


@dataclass
class StepRecord:
    """Every term of one training step, as Python floats (also readable as ``record["loss_d"]``).

    From the discriminator step(s), on the batches D trained on, before D's update (means over
    the k D steps when k > 1):
        loss_d: Eq. 1, L_D.            value: Eq. 3, V(G, D) = -loss_d.
        d_real: mean D(x) on real data.          d_fake: mean D(G(z)) on fakes.
        grad_norm_d: the norm of dL_D/dtheta_D (all of D's gradients as one vector).
    From the generator step, on fresh noise, through the updated and frozen D:
        loss_g_non_saturating: Eq. 5.   loss_g_zero_sum: Eq. 2 (with D's output on the last
        real batch for its constant first term). G descends one of them (``generator_loss``).
        grad_norm_g: the norm of G's gradient from the loss G descended.
    step: the number of this step (1 for the first).
    """

    step: int
    loss_d: float
    loss_g_zero_sum: float
    value: float
    loss_g_non_saturating: float
    d_real: float
    d_fake: float
    grad_norm_g: float
    grad_norm_d: float

    def __getitem__(self, key: str) -> Any:
        if key not in self.keys():
            raise KeyError(f"StepRecord has no term {key!r}; it has {', '.join(self.keys())}")
        return getattr(self, key)

    def keys(self) -> list[str]:
        return [f.name for f in fields(self)]

    def items(self) -> list[tuple[str, Any]]:
        return list(asdict(self).items())

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class NonFiniteLossError(FloatingPointError):
    """A loss or gradient became NaN or infinite; training stopped before using it.

    Attributes:
        step: the number of the step that failed (the last complete step is ``step - 1``).
        what: which quantity went bad.
        terms: the terms measured at that step so far (Python floats).
    """

    def __init__(self, step: int, what: str, terms: dict[str, float]) -> None:
        self.step, self.what, self.terms = step, what, dict(terms)
        shown = ", ".join(f"{k}={v:.6g}" for k, v in terms.items())
        super().__init__(
            f"training stopped at step {step}: {what} is not finite ({shown}). No update was "
            f"made from it, so every parameter holds a value reached with finite losses and "
            f"gradients (updates made earlier in step {step}, such as D's when G's loss failed, "
            f"are kept; the last complete step is {step - 1}). Try a smaller learning rate, or "
            f"resume from the last checkpoint."
        )


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during ``fit``: the step under way was finished, so the state is a clean step
    boundary (save it and resume exactly). ``step`` is the last complete step."""

    def __init__(self, step: int) -> None:
        self.step = step
        super().__init__(f"training interrupted after step {step}")


@contextlib.contextmanager
def _stop_between_steps() -> Iterator[dict[str, bool]]:
    """While active, a first Ctrl-C only sets ``flag["stop"]`` (the loop stops after the current
    step); a second one interrupts at once, as usual. Only in the main thread (where Python
    delivers signals); elsewhere the flag is simply never set."""
    flag = {"stop": False}
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum: int, frame: Any) -> None:
        if flag["stop"]:
            signal.signal(signal.SIGINT, previous)
            raise KeyboardInterrupt
        flag["stop"] = True
        tqdm.write("Ctrl-C: stopping after this step (press again to stop at once)")

    signal.signal(signal.SIGINT, handler)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


def _source(gan: Any, data: Any, batch_size: int | None) -> Callable[[], Any]:
    """A function returning the next real batch, from whatever ``data`` is."""
    if hasattr(data, "sample") and callable(data.sample):
        if batch_size is None:
            raise ValueError(f"GAN.fit: data is a distribution ({data!r}); say how many samples "
                             "a batch has with batch_size=...")
        return lambda: data.sample(batch_size, device=gan.device)
    if isinstance(data, Iterator):
        iterator = data
    elif callable(data):
        return data
    elif hasattr(data, "__iter__"):
        iterator = iter(data)
    else:
        raise TypeError(f"GAN.fit: data must be a distribution with .sample(n), an iterator of "
                        f"batches or a function returning one, got {type(data).__name__}")

    def draw() -> Any:
        try:
            return next(iterator)
        except StopIteration:
            raise ValueError(f"GAN.fit: the data ran out at step {gan.global_step + 1}; use "
                             "tinygan.data.infinite_batches for a stream without end") from None

    return draw


def fit_loop(gan: Any, data: Any, steps: int, batch_size: int | None,
             callbacks: Sequence[Callable[[Any, Any], Any]], progress: bool) -> None:
    """Run ``steps`` steps of ``gan`` on batches from ``data`` (see ``GAN.fit``)."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"GAN.fit: steps must be a non-negative integer, got {steps!r}")
    draw = _source(gan, data, batch_size)
    bar = tqdm(total=steps, disable=not progress, desc="training", unit="step",
               dynamic_ncols=True, leave=True)
    try:
        with _stop_between_steps() as flag:
            for i in range(steps):
                real = draw() if gan.k == 1 else [draw() for _ in range(gan.k)]
                record = gan.step(real)
                bar.update(1)
                if i % 10 == 0 or i == steps - 1:
                    loss_g = record["loss_g_" + gan.generator_loss]
                    bar.set_postfix_str(f"L_D {record.loss_d:.3f}  L_G {loss_g:.3f}  D(x) "
                                        f"{record.d_real:.3f}  D(G(z)) {record.d_fake:.3f}",
                                        refresh=False)
                stop = False
                for callback in callbacks:
                    stop = callback(gan, record) is True or stop
                if stop:
                    break
                if flag["stop"]:
                    raise TrainingInterrupted(gan.global_step)
    finally:
        bar.close()


# A generator's state for a checkpoint: NumPy's is a dict of numbers, but CuPy's lives in GPU
# memory (its bit_generator.state is a method returning a pointer, which a checkpoint cannot
# hold), so the backend's pair of functions hides the difference.
get_rng_state = backend.get_rng_state
set_rng_state = backend.set_rng_state
