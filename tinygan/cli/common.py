"""What the three commands share: errors in the command line's words, checked numbers for
argparse, BLAS threads, signals, and reading a checkpoint of ``tinygan train``."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import tinygan
from tinygan import backend
from tinygan.gan import models, recipes
from tinygan.ops import parallel
from tinygan.serialization import CheckpointError

__all__ = ["CLIError", "CannotWrite", "Terminated", "blas_threads", "device",
           "load_checkpoint", "positive", "restore", "sigterm_as_interrupt"]

# Exit statuses, as the epilog of ``tinygan --help`` lists them.
OK, FAILED, BAD_REQUEST = 0, 1, 2


class CLIError(Exception):
    """A mistake in what the command was asked to do, or a bad input file; printed without a
    traceback, exit status 2."""


class CannotWrite(Exception):
    """A file could not be written (disk full, file-size limit, permissions): exit status 1."""


class Terminated(KeyboardInterrupt):
    """SIGTERM outside a training step: handled as Ctrl-C is (exit status 128 + 15)."""

    signal = signal.SIGTERM


# -- numbers from the command line ----------------------------------------------------------------


def positive(text: str, least: int = 1) -> int:
    """argparse ``type=``: an integer >= ``least`` (1: a count of steps, samples, threads)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"must be at least {least}, got {value}")
    return value


def step_number(text: str) -> int:
    """argparse ``type=``: a step number, an integer >= 0 (``--lr-decay``)."""
    return positive(text, least=0)


# -- the machine ------------------------------------------------------------------------------


def device(name: str) -> backend.Device:
    """The device called ``name``, made the default, or a CLIError saying why not."""
    try:
        dev = backend.get_device(name)
    except (RuntimeError, ValueError) as exc:
        raise CLIError(str(exc)) from None
    backend.set_default_device(dev)
    return dev


BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")


def blas_threads(setup_name: str | None, threads: int | None) -> str:
    """Set how many threads NumPy's BLAS uses, and say so (one line for the user).

    ``--threads N`` wins; else a ``*_NUM_THREADS`` variable the user set is kept; else the
    set-up decides: the toy set-ups multiply matrices of at most 512 x 256, which one thread does
    faster than several (threads wait for each other, and on a busy machine for the other
    programs: ring2d ran 6x slower with two), MNIST's are large enough to share among up to 4
    of the cores the machine's load leaves idle (at least one).
    """
    if threads is not None:
        why = "--threads"
    else:
        given = next((v for v in BLAS_VARIABLES if os.environ.get(v)), None)
        if given is not None:
            return f"BLAS threads: {os.environ[given]} (from {given}; --threads N to change)"
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
            os.cpu_count() or 1)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
        toy = setup_name in ("gauss1d", "ring2d", "grid2d")
        threads = 1 if toy else max(1, min(4, cores - round(load)))
        why = (f"{setup_name}'s matrices are small" if toy
               else f"{cores} cores at load {load:.1f}, at most 4 used")
    parallel.set_num_threads(threads)  # the BLAS's threads (tinygan.set_num_threads)
    return f"BLAS threads: {threads} ({why}; --threads N to change)"


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raises ``Terminated`` (a KeyboardInterrupt) instead of killing the process, so
    a command stopped by ``kill`` cleans up and says so as for Ctrl-C. During training steps
    ``GAN.fit`` installs its own handler, which finishes the step first."""
    def handler(signum: int, frame: Any) -> None:
        raise Terminated

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# -- checkpoints of tinygan train ------------------------------------------------------------------


def load_checkpoint(path: Path) -> dict[str, Any]:
    """A checkpoint written by ``tinygan train``, or a CLIError naming the file."""
    if not path.exists():
        raise CLIError(f"no checkpoint at {path}")
    try:
        state = tinygan.load(path)
    except CheckpointError as exc:
        raise CLIError(f"{path} cannot be read as a tinygan checkpoint: {exc}") from None
    except OSError as exc:
        raise CLIError(f"{path} cannot be read: {exc.strerror or exc}") from None
    run = state.get("run") if isinstance(state, dict) else None
    if not isinstance(run, dict) or "setup" not in run:
        raise CLIError(f"{path} is not a checkpoint written by `tinygan train` (it has no run "
                       "settings)")
    for key, kind in (("setup", str), ("batch_size", int), ("steps", int), ("k", int),
                      ("seed", int), ("generator_loss", str)):
        if not isinstance(run.get(key), kind) or isinstance(run.get(key), bool):
            raise CLIError(f"{path}: its run settings are damaged ({key} = {run.get(key)!r})")
    run.setdefault("loss", "gan")  # checkpoints from before --loss trained Eq. 1
    if not isinstance(run["loss"], str):
        raise CLIError(f"{path}: its run settings are damaged (loss = {run['loss']!r})")
    # checkpoints from before --gp-weight: WGAN-GP ran with lambda = 10
    run.setdefault("gp_weight", 10.0 if run["loss"] == "wgan-gp" else None)
    gp = run["gp_weight"]
    if gp is not None and (isinstance(gp, bool) or not isinstance(gp, (int, float))):
        raise CLIError(f"{path}: its run settings are damaged (gp_weight = {gp!r})")
    for key in ("ema", "label_smoothing", "r1", "g_lr", "d_lr"):  # gan/recipes.py; None: off
        value = run.setdefault(key, None)  # checkpoints from before the recipes: none used
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise CLIError(f"{path}: its run settings are damaged ({key} = {value!r})")
    decay = run.setdefault("lr_decay", None)
    if decay is not None and (isinstance(decay, bool) or not isinstance(decay, int) or decay < 0):
        raise CLIError(f"{path}: its run settings are damaged (lr_decay = {decay!r})")
    return state


def restore(state: dict[str, Any], path: Path, dev: backend.Device,
            steps: int | None = None) -> tuple[models.Setup, Any]:
    """The set-up and GAN ``state`` (read from ``path``) was written from, loaded, on ``dev``.

    With ``steps``, the set-up is built for that many steps in all: its learning-rate schedules
    then end there (G's decays to 0 at step ``steps``), and the checkpoint's schedules are
    rebuilt to match, at the step they had reached.
    """
    run = state["run"]
    if run["setup"] not in models.SETUPS and run["setup"] not in models.SUPERRES_SETUPS:
        raise CLIError(f"{path} is a checkpoint of an unknown set-up {run['setup']!r}")
    try:
        packed = {"pack": run["pack"]} if run.get("pack") is not None else {}
        setup = models.build(run["setup"], device=dev, batch_size=run["batch_size"],
                             steps=steps or run["steps"], loss=run["loss"], **packed)
        recipes.set_learning_rates(setup, run["g_lr"], run["d_lr"])
        gan = setup.gan(k=run["k"], generator_loss=run["generator_loss"], loss=run["loss"],
                        gp_weight=run["gp_weight"])
        if run["ema"] is not None or run["label_smoothing"] or run["r1"]:
            recipes.with_recipes(gan, run["ema"], run["label_smoothing"] or 0.0,
                                 run["r1"] or 0.0)
        if run.get("lr_decay") is not None:
            recipes.decay_learning_rates(gan, run["lr_decay"], steps or run["steps"])
    except ValueError as exc:
        raise CLIError(f"{path}: its run settings cannot be used ({exc})") from None
    state = dict(state)
    for name in ("g_scheduler", "d_scheduler"):
        scheduler = getattr(gan, name)
        if hasattr(scheduler, "total_iters") and isinstance(state.get(name), dict):
            state[name] = {**state[name], "total_iters": scheduler.total_iters}
        elif scheduler is not None and name not in state:  # a decay added by --resume --lr-decay
            rates = state[name[0] + "_optimizer"]["param_groups"]
            state[name] = {"base_lrs": [g["lr"] for g in rates], "last_epoch": state["step"]}
    try:
        gan.load_state_dict(state)
    except ValueError as exc:
        raise CLIError(f"{path} does not fit the set-up {run['setup']}: {exc}") from None
    return setup, gan
