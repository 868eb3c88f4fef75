"""The machinery around Algorithm 1 that is not the algorithm: the record of a step's terms, an
update kept only if it is finite, the loop over many steps with its progress bar and callbacks,
and Ctrl-C (or SIGTERM) that stops between steps. ``tinygan.gan.algorithm`` holds the algorithm
itself.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy
from tqdm.auto import tqdm

from tinygan import backend
from tinygan.autograd.function import no_grad
from tinygan.autograd.tensor import Tensor

__all__ = ["NonFiniteLossError", "StepRecord", "TrainingInterrupted", "evaluating", "fit_loop",
           "k_batches", "kept_if_finite"]


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
    With ``GAN(loss="wgan-gp")`` also (absent from ``keys()`` otherwise, where they are None):
        wasserstein: the critic's estimate of W, E D(x) - E D(G(z)) (loss_d is minus it plus
        gradient_penalty, lambda E (||grad D(x_hat)|| - 1)^2); critic_grad_norm: the mean of
        ||grad D(x_hat)||_2 on the interpolates; loss_g_wasserstein: -E D(G(z)), G's loss.
    With ``GAN(r1_gamma=gamma)`` also r1_penalty: gamma / 2 E ||grad_x D(x)||^2 on the real
    batch (loss_d is then Eq. 1 plus it, the loss D descends; value stays -Eq. 1).
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
    loss_g_wasserstein: float | None = None
    wasserstein: float | None = None
    gradient_penalty: float | None = None
    critic_grad_norm: float | None = None
    r1_penalty: float | None = None

    def __getitem__(self, key: str) -> Any:
        if key not in self.keys():
            raise KeyError(f"StepRecord has no term {key!r}; it has {', '.join(self.keys())}")
        return getattr(self, key)

    def keys(self) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name) is not None]

    def items(self) -> list[tuple[str, Any]]:
        return [(k, getattr(self, k)) for k in self.keys()]

    # a mapping's protocol: "loss_d" in record, for name in record, len(record), dict(record)
    def __contains__(self, key: object) -> bool:
        return key in self.keys()

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())


class NonFiniteLossError(FloatingPointError):
    """A loss, gradient, parameter or optimizer state became NaN or infinite; the update that
    made it was undone.

    Attributes:
        step: the number of the step that failed (the last complete step is ``step - 1``).
        what: which quantity went bad.
        terms: the terms measured at that step so far (Python floats).
    """

    def __init__(self, step: int, what: str, terms: dict[str, float]) -> None:
        self.step, self.what, self.terms = step, what, dict(terms)
        shown = ", ".join(f"{k}={v:.6g}" for k, v in terms.items())
        super().__init__(
            f"training stopped at step {step}: {what} is not finite ({shown}). That update was "
            f"undone, so every parameter, buffer and optimizer state holds the finite value it "
            f"had before (updates made earlier in step {step}, such as D's when G's failed, are "
            f"kept; the last complete step is {step - 1}). Try a smaller learning rate, or "
            f"resume from the last checkpoint."
        )


# What each checked term is, for the error that stops training.
TERM_NAMES = {
    "loss_d": "the discriminator loss (Eq. 1)",
    "loss_g_non_saturating": "the generator loss (Eq. 5)",
    "loss_g_zero_sum": "the generator loss (Eq. 2)",
    "loss_g_wasserstein": "the generator loss (-E D(G(z)))",
    "grad_norm_d": "the discriminator's gradient",
    "grad_norm_g": "the generator's gradient",
}


def _all_finite(arrays: Iterable[Any]) -> bool:
    """Every entry of every array finite. The sum of an array is NaN or infinite whenever an
    entry is, so one reduction per array decides; only a sum that overflowed on finite entries
    (a fluke of huge values) is looked at entry by entry."""
    for a in arrays:
        xp = backend.get_array_module(a)
        if not xp.isfinite(a.sum()) and not xp.isfinite(a).all():
            return False
    return True


def _gradient_norm(module: Any) -> float:
    """sqrt(sum of every squared gradient entry of ``module``): one dot product per parameter,
    in its dtype; in float64 if that overflowed (or was NaN) so the value is exact either way."""
    xp = backend.get_array_module
    grads = [p.grad.reshape(-1) for p in module.parameters() if p.grad is not None]
    total = sum(float(xp(g).dot(g, g)) for g in grads)
    if not numpy.isfinite(total):
        wide = [g.astype(numpy.float64) for g in grads]
        total = sum(float(xp(g).dot(g, g)) for g in wide)
    return total ** 0.5


def _optimizer_arrays(optimizer: Any) -> Iterator[Any]:
    for entries in getattr(optimizer, "state", {}).values():
        yield from (v for v in entries.values() if hasattr(v, "shape"))


@contextlib.contextmanager
def kept_if_finite(step: int, who: str, module: Any, optimizer: Any,
                   loss_key: str) -> Iterator[dict[str, Any]]:
    """Keep the update the block makes to ``who``'s ``module`` only if all of it is finite.

    ``who`` is "discriminator" or "generator". The block fills the yielded dict with its terms
    (floats or one-element Tensors). When it ends they become floats, ``grad_norm_d`` (or
    ``_g``) is set to the norm of the module's gradient (all its entries as one vector), and if
    ``loss_key``, that norm, a parameter or an array of the optimizer's state is NaN or
    infinite, ``NonFiniteLossError`` (for step ``step``) is raised. On that error, or any other
    (a second Ctrl-C), the module's parameters and buffers and the optimizer's state are put
    back as they were before the block. NumPy's overflow warnings are silenced inside: this
    check is what reports them.
    """
    grad_key = "grad_norm_" + {"discriminator": "d", "generator": "g"}[who]
    params = [(p, p.data.copy()) for p in module.parameters()]
    buffers = [(b, b.data.copy()) for _, b in module.named_buffers()]
    optimizer_state = optimizer.state_dict()
    terms: dict[str, Any] = {}
    try:
        with numpy.errstate(all="ignore"):
            yield terms
            for key, v in terms.items():
                terms[key] = float(v.item()) if hasattr(v, "item") else float(v)
            terms[grad_key] = _gradient_norm(module)
            bad = next((TERM_NAMES[k] for k in (loss_key, grad_key)
                        if not numpy.isfinite(terms[k])), None)
            if bad is None and not _all_finite(p.data for p in module.parameters()):
                bad = f"the {who}'s parameters after the update"
            if bad is None and not _all_finite(_optimizer_arrays(optimizer)):
                bad = f"the {who}'s optimizer state after the update"
        if bad is not None:
            raise NonFiniteLossError(step, bad, terms)
    except BaseException:
        for p, array in params:
            p.data[...] = array
        for b, array in buffers:
            b.data = array
        optimizer.load_state_dict(optimizer_state)
        raise


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) during ``fit``: the step under way was finished, so the state is a
    clean step boundary (save it and resume exactly). ``step`` is the last complete step;
    ``signal`` the signal's number (``signal.SIGINT`` or ``signal.SIGTERM``)."""

    def __init__(self, step: int, signum: int = signal.SIGINT) -> None:
        self.step, self.signal = step, signum
        super().__init__(f"training interrupted after step {step}")


STOP_SIGNALS = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}


@contextlib.contextmanager
def _stop_between_steps() -> Iterator[dict[str, int]]:
    """While active, a first Ctrl-C or SIGTERM only sets ``flag["stop"]`` to its number (the
    loop stops after the current step); a second one interrupts at once, as Ctrl-C usually
    does. Only in the main thread (where Python delivers signals); elsewhere the flag is simply
    never set."""
    flag = {"stop": 0}
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return
    previous = {s: signal.getsignal(s) for s in STOP_SIGNALS}

    def handler(signum: int, frame: Any) -> None:
        if flag["stop"]:
            for s, h in previous.items():
                signal.signal(s, h)
            raise KeyboardInterrupt
        flag["stop"] = signum
        tqdm.write(f"{STOP_SIGNALS[signum]}: stopping after this step (Ctrl-C again to stop at "
                   "once)")

    for s in STOP_SIGNALS:
        signal.signal(s, handler)
    try:
        yield flag
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _is_one_batch(gan: Any, real: Any) -> bool:
    """One real batch (a Tensor; for a conditional GAN an (x, labels) pair), not k of them."""
    if gan.conditional:
        return isinstance(real, (tuple, list)) and len(real) == 2 and isinstance(real[0], Tensor)
    return isinstance(real, Tensor)


def k_batches(gan: Any, real: Any) -> list[Any]:
    """``real`` as the list of k real batches a step of ``gan`` needs, or an error saying why."""
    if _is_one_batch(gan, real):
        if gan.k > 1:
            raise ValueError(
                f"GAN.step: k={gan.k} discriminator steps need {gan.k} real batches, one "
                f"for each (Algorithm 1 draws a fresh batch per D step), but one batch was "
                f"given; pass a list of {gan.k} batches, or use fit(), which draws them")
        return [real]
    if not isinstance(real, Sequence) or not all(_is_one_batch(gan, b) for b in real):
        kind = "an (x, labels) pair" if gan.conditional else "a Tensor"
        raise TypeError(f"{type(gan).__name__}.step: expected one real batch ({kind}) when "
                        f"k = 1, or a list of k of them; got {type(real).__name__}")
    if len(real) != gan.k:
        raise ValueError(f"GAN.step: k={gan.k} needs {gan.k} real batches, got {len(real)}")
    return list(real)


@contextlib.contextmanager
def evaluating(module: Any) -> Iterator[None]:
    """``module`` in eval mode without a graph for the block, then back in its former mode."""
    mode = module.training
    module.eval()
    try:
        with no_grad():
            yield
    finally:
        module.train(mode)


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


def _progress_text(gan: Any, record: Any) -> str:
    loss_g = record["loss_g_" + gan.generator_loss]
    return (f"L_D {record.loss_d:.3f}  L_G {loss_g:.3f}  D(x) {record.d_real:.3f}  D(G(z)) "
            f"{record.d_fake:.3f}")


def fit_loop(gan: Any, data: Any, steps: int, batch_size: int | None,
             callbacks: Sequence[Callable[[Any, Any], Any]], progress: bool,
             describe: Callable[[Any], str] | None = None) -> None:
    """Run ``steps`` steps of ``gan`` on batches from ``data`` (see ``GAN.fit``); ``describe``
    gives the progress bar's text for a step's record (default: L_D, L_G, D(x), D(G(z)))."""
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
                    text = describe(record) if describe else _progress_text(gan, record)
                    bar.set_postfix_str(text, refresh=False)
                stop = False
                for callback in callbacks:
                    stop = callback(gan, record) is True or stop
                if stop:
                    break
                if flag["stop"]:
                    raise TrainingInterrupted(gan.global_step, flag["stop"])
    finally:
        bar.close()

