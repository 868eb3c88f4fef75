"""What a GAN's checkpoint holds, and restoring one all or nothing (``GAN.state_dict`` and
``GAN.load_state_dict`` call these).

A state is a plain nested dict, which ``tinygan.save`` writes and ``tinygan.load`` reads::

    {"generator": G.state_dict(), "discriminator": D.state_dict(),
     "g_optimizer": ..., "d_optimizer": ..., "g_scheduler": ... (if any), "d_scheduler": ...,
     "step": 1200, "rng": {"cpu": ...}, "history": {"loss_d": array, ...}, "config": {...},
     "ema": {"beta": 0.999, "updates": 1200, "averaged": G's average's state_dict} (with ema)}

Loading checks every value against what it will replace before anything changes: a float
parameter (or an optimizer's moment estimate) takes only floating-point values, so an integer,
boolean or string array is refused with its key named, instead of being cast to numbers
silently. If one part still fails part-way, the parts already loaded are put back, so the GAN is
left either fully restored or exactly as it was.
"""

from __future__ import annotations

from typing import Any

import numpy

from tinygan import backend
from tinygan.autograd.tensor import Tensor

__all__ = ["check_values", "gan_state_dict", "load_gan_state_dict"]

REQUIRED = ("generator", "discriminator", "g_optimizer", "d_optimizer", "step")
SCHEDULERS = ("g_scheduler", "d_scheduler")


def gan_state_dict(gan: Any) -> dict[str, Any]:
    """Everything needed to resume ``gan`` exactly (see the module docstring); copies."""
    # A generator's state: NumPy's is a dict of numbers, CuPy's lives in GPU memory; the
    # backend's pair of functions hides the difference.
    rng = {"cpu": backend.get_rng_state(backend.generator("cpu"))}
    if gan.device.name != "cpu":
        rng[gan.device.name] = backend.get_rng_state(backend.generator(gan.device))
    schedulers = {name: getattr(gan, name).state_dict() for name in SCHEDULERS
                  if getattr(gan, name) is not None}
    if gan.ema is not None:  # G's moving average (gan/recipes.py)
        schedulers["ema"] = gan.ema.state_dict()
    return {**schedulers, "generator": gan.generator.state_dict(),
            "discriminator": gan.discriminator.state_dict(),
            "g_optimizer": gan.g_optimizer.state_dict(),
            "d_optimizer": gan.d_optimizer.state_dict(),
            "step": gan.global_step, "rng": rng,
            "history": {k: numpy.asarray(v) for k, v in gan.history.items()},
            "config": {"latent_dim": gan.latent_dim, "k": gan.k,
                       "generator_loss": gan.generator_loss, "conditional": gan.conditional,
                       "label_smoothing": gan.label_smoothing,
                       "r1_gamma": gan.r1_gamma}}


def _dtype(value: Any) -> numpy.dtype:
    """The dtype of a saved value: an array's, or what NumPy makes of a number or a string."""
    if isinstance(value, Tensor):
        value = value.data
    dtype = getattr(value, "dtype", None)
    if isinstance(dtype, numpy.dtype):
        return dtype
    try:
        return numpy.asarray(value).dtype
    except Exception:  # not array-like at all: the load that follows names the problem
        return numpy.dtype(object)


def _check_value(where: str, value: Any, like: Any) -> None:
    """Refuse ``value`` for a slot holding numbers of ``like``'s kind (float, int, bool)."""
    want, got = like.dtype.kind, _dtype(value)
    if want in "fc":
        ok, expected = got.kind == "f", "floating-point"
    elif want in "iu":
        ok, expected = got.kind in "iu", "integer"
    else:
        ok, expected = got.kind == want, str(like.dtype)
    if not ok:
        raise ValueError(f"{where} holds values of dtype {got}, where this GAN has {expected} "
                         f"numbers ({like.dtype}); the checkpoint is damaged or was not written "
                         "by tinygan")


def check_values(gan: Any, state: dict[str, Any]) -> None:
    """Check the kinds of the numbers in ``state`` before any of it is loaded into ``gan``."""
    missing = set(REQUIRED) - set(state)
    if missing:
        raise ValueError(f"not a GAN checkpoint, missing {sorted(missing)}")
    for part in ("generator", "discriminator"):
        saved = state[part]
        if not isinstance(saved, dict):
            raise ValueError(f"{part} must be a dict of arrays, got {type(saved).__name__}")
        for key, t in getattr(gan, part)._state_items().items():
            if key in saved:
                _check_value(f"{part}[{key!r}]", saved[key], t.data)
    averaged = state.get("ema", {}).get("averaged") if isinstance(state.get("ema"), dict) else None
    if gan.ema is not None and isinstance(averaged, dict):
        for key, t in gan.ema.averaged._state_items().items():
            if key in averaged:
                _check_value(f"ema['averaged'][{key!r}]", averaged[key], t.data)
    for part in ("g_optimizer", "d_optimizer"):
        optimizer = getattr(gan, part)
        entries = state[part].get("state", {}) if isinstance(state[part], dict) else {}
        if not isinstance(entries, dict):
            raise ValueError(f"{part}['state'] must be a dict, got {type(entries).__name__}")
        params = [p for group in optimizer.param_groups for p in group["params"]]
        for i, values in entries.items():
            if not isinstance(values, dict):
                raise ValueError(f"{part}['state'][{i!r}] must be a dict, got "
                                 f"{type(values).__name__}")
            if isinstance(i, int) and 0 <= i < len(params):
                for name, v in values.items():
                    if name != "step" and hasattr(v, "shape"):
                        _check_value(f"{part}['state'][{i}][{name!r}]", v, params[i].data)
    step = state["step"]
    if isinstance(step, bool) or not isinstance(step, (int, numpy.integer)) or step < 0:
        raise ValueError(f"step must be a non-negative integer, got {step!r}")
    for key, v in dict(state.get("history", {})).items():
        if _dtype(v).kind not in "fiu":
            raise ValueError(f"history[{key!r}] holds values of dtype {_dtype(v)}, not numbers")


def load_gan_state_dict(gan: Any, state: dict[str, Any]) -> None:
    """Restore ``state`` into ``gan`` completely, or leave ``gan`` as it was and raise."""
    check_values(gan, state)
    for name in SCHEDULERS:
        scheduler = getattr(gan, name)
        if (scheduler is None) != (name not in state):
            has = "has" if name in state else "has no"
            mine = "has none" if scheduler is None else "has one"
            raise ValueError(f"the checkpoint {has} {name}, this GAN {mine}")
    if (gan.ema is None) != ("ema" not in state):  # G's moving average: both or neither
        fix = "make the GAN with ema=BETA" if gan.ema is None else "make the GAN without ema"
        has, mine = ("has", "has none") if gan.ema is None else ("has no", "has one")
        raise ValueError(f"the checkpoint {has} ema (a moving average of G), this GAN {mine}; "
                         f"{fix}")
    before = gan_state_dict(gan)
    try:
        _apply(gan, state)
    except BaseException:
        _apply(gan, before)
        raise


def _apply(gan: Any, state: dict[str, Any]) -> None:
    for part in ("generator", "discriminator", "g_optimizer", "d_optimizer", *SCHEDULERS, "ema"):
        if part in state:
            try:
                getattr(gan, part).load_state_dict(state[part])
            except (KeyError, TypeError, AttributeError, IndexError) as exc:
                raise ValueError(f"{part}: malformed state ({type(exc).__name__}: {exc})") from None
    for name, value in state.get("rng", {}).items():
        if name == "cpu" or name == gan.device.name:
            try:
                backend.set_rng_state(backend.generator(name), value)
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"rng[{name!r}]: malformed random state ({exc})") from None
    history = {k: numpy.asarray(v).tolist() for k, v in state.get("history", {}).items()}
    gan.global_step, gan._history = int(state["step"]), history
