"""The command line: ``tinygan train``, ``tinygan sample``, ``tinygan eval`` (also ``python -m
tinygan``).

    tinygan train gauss1d                        # the main job: ~10 s, pictures in runs/gauss1d
    tinygan train mlp-mnist --data ~/mnist --out runs/mnist
    tinygan train gauss1d --resume               # continue runs/gauss1d from its checkpoint
    tinygan sample runs/gauss1d/checkpoint.npz -n 1000 --out samples.npy
    tinygan eval runs/gauss1d/checkpoint.npz     # the set-up's metrics, as JSON

``train`` writes into its folder: ``checkpoint.npz`` (every ``--checkpoint-every`` steps and at
the end, each replacing the last atomically), ``history.npz`` (every term of every step),
``metrics.json``, ``losses.png`` (the losses, D(x) and D(G(z)) and gradient norms),
``samples.png`` and ``samples/step_*.png`` (the set-up's picture over training). Ctrl-C
finishes the step under way, saves a checkpoint and exits; ``--resume`` then gives the same
result, bit for bit, as a run that was never interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import tinygan
from tinygan import backend, viz
from tinygan.evaluation.report import draw_samples, evaluate
from tinygan.gan import models
from tinygan.gan.training import NonFiniteLossError, TrainingInterrupted
from tinygan.serialization import CheckpointError

__all__ = ["main"]

RUN_KEYS = ("seed", "batch_size", "k", "generator_loss")


class CLIError(Exception):
    """A mistake in what the command was asked to do; printed without a traceback."""


# -- helpers ---------------------------------------------------------------------------------------


def _prepare_out(out: Path) -> None:
    """Create the output folder and prove it can be written, or say why not."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "samples").mkdir(exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise CLIError(f"cannot write to the output folder {out} ({exc.strerror or exc}); "
                       "choose another with --out DIR") from None


def _device(name: str) -> backend.Device:
    try:
        device = backend.get_device(name)
    except (RuntimeError, ValueError) as exc:
        raise CLIError(str(exc)) from None
    backend.set_default_device(device)
    return device


def _load_checkpoint(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise CLIError(f"no checkpoint at {path}")
    try:
        state = tinygan.load(path)
    except (CheckpointError, OSError) as exc:
        raise CLIError(f"{path} cannot be read as a tinygan checkpoint: {exc}") from None
    if not isinstance(state, dict) or "setup" not in state.get("run", {}):
        raise CLIError(f"{path} is not a checkpoint written by `tinygan train` (it has no run "
                       "settings)")
    return state


def _restore(state: dict[str, Any], device: backend.Device) -> tuple[models.Setup, Any]:
    """The set-up and GAN a checkpoint was written from, with its weights and state loaded."""
    run = state["run"]
    if run["setup"] not in models.SETUPS:
        raise CLIError(f"the checkpoint is of an unknown set-up {run['setup']!r}")
    setup = models.build(run["setup"], device=device, batch_size=run["batch_size"],
                         steps=run["steps"])
    gan = setup.gan(k=run["k"], generator_loss=run["generator_loss"])
    gan.load_state_dict(state)
    return setup, gan


def _data(setup: models.Setup, gan: Any, data_dir: str | None, seed: int) -> Any:
    """Where real batches come from: the toy distribution, or a seeded MNIST stream advanced
    past the batches the checkpoint's steps already used (so a resume sees the same batches)."""
    if setup.data == "toy":
        return setup.target
    from tinygan.data import MNISTError, infinite_batches, load_mnist  # noqa: PLC0415

    try:
        images, labels = load_mnist(data_dir, "train")
    except MNISTError as exc:
        raise CLIError(f"{exc} (give the folder with --data DIR or TINYGAN_DATA)") from None
    data = (images, labels) if setup.num_classes is not None else images
    stream = infinite_batches(data, setup.batch_size, seed=seed, device=gan.device)
    for _ in range(gan.global_step * gan.k):
        next(stream)
    return stream


def _save_history(gan: Any, path: Path) -> None:
    """history.npz, one array per term (``numpy.load(path)["loss_d"]``), written atomically."""
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **gan.history)
    os.replace(tmp, path)


# -- tinygan train ---------------------------------------------------------------------------------


def cmd_train(args: argparse.Namespace) -> int:
    name = args.setup
    if name not in models.SETUPS:
        raise CLIError(f"unknown set-up {name!r}; valid set-ups: {', '.join(models.SETUPS)}")
    out = Path(args.out or os.path.join("runs", name))
    _prepare_out(out)
    device = _device(args.device)
    ckpt = out / "checkpoint.npz"
    if args.resume:
        state = _load_checkpoint(ckpt) if ckpt.exists() else None
        if state is None:
            raise CLIError(f"--resume: there is no checkpoint at {ckpt}; give the --out folder "
                           "of the run to continue, or train without --resume")
        run = dict(state["run"])
        if run["setup"] != name:
            raise CLIError(f"{ckpt} is a checkpoint of the set-up {run['setup']!r}, not "
                           f"{name!r}; resume it with `tinygan train {run['setup']} --out {out} "
                           f"--resume`, or pick another --out for {name}")
        for key in RUN_KEYS:
            given = getattr(args, key)
            if given is not None and given != run[key]:
                raise CLIError(f"--{key.replace('_', '-')} {given} differs from the resumed "
                               f"run's {run[key]}; a resumed run keeps its settings")
        run["steps"] = args.steps or run["steps"]
    else:
        state = None
        run = {"setup": name, "seed": 0 if args.seed is None else args.seed, "k": args.k or 1,
               "generator_loss": args.generator_loss or "non_saturating",
               "batch_size": args.batch_size, "steps": args.steps}
    tinygan.manual_seed(run["seed"])
    options = {k: run[k] for k in ("batch_size", "steps") if run[k] is not None}
    setup = models.build(name, device=device, **options)
    run["batch_size"], run["steps"] = setup.batch_size, setup.steps
    try:
        gan = setup.gan(k=run["k"], generator_loss=run["generator_loss"])
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    if state is not None:
        gan.load_state_dict(state)
    data = _data(setup, gan, args.data, run["seed"])
    every = args.checkpoint_every or setup.checkpoint_every
    saved = {"step": gan.global_step if state is not None else None}

    def save() -> None:
        tinygan.save({**gan.state_dict(), "run": run, "version": tinygan.__version__}, ckpt)
        _save_history(gan, out / "history.npz")
        saved["step"] = gan.global_step

    def periodic(gan: Any, record: Any) -> None:
        if gan.global_step % every == 0 and gan.global_step < run["steps"]:
            save()
            draw_samples(setup, gan, out / "samples" / f"step_{gan.global_step:06d}.png")

    remaining = run["steps"] - gan.global_step
    print(f"tinygan train {name}: {remaining} steps (from step {gan.global_step} to "
          f"{run['steps']}), batch {setup.batch_size}, k={gan.k}, generator loss "
          f"{gan.generator_loss}, seed {run['seed']}, device {device.name}; writing to {out}")
    start = time.perf_counter()
    try:
        gan.fit(data, max(remaining, 0), batch_size=setup.batch_size, callbacks=[periodic],
                progress=not args.quiet)
    except TrainingInterrupted:
        save()
        print(f"interrupted: checkpoint of step {gan.global_step} saved to {ckpt}; continue "
              f"with: tinygan train {name} --out {out} --resume", file=sys.stderr)
        return 130
    except NonFiniteLossError as exc:
        last = (f"the last good checkpoint, of step {saved['step']}, is {ckpt}"
                if saved["step"] is not None else "no checkpoint had been written yet")
        print(f"tinygan train: error: {exc}\n{last} (left untouched)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        last = (f"the last checkpoint, of step {saved['step']}, is kept at {ckpt}"
                if saved["step"] is not None else "no checkpoint had been written yet")
        print(f"stopped at once during step {gan.global_step + 1}; {last}", file=sys.stderr)
        return 130
    seconds = time.perf_counter() - start
    save()
    draw_samples(setup, gan, out / "samples.png")
    shutil.copyfile(out / "samples.png", out / "samples" / f"step_{gan.global_step:06d}.png")
    viz.save_figure(viz.plot_history(gan.history), out / "losses.png")
    result = evaluate(setup, gan, data_dir=args.data)
    result["train_seconds"] = round(seconds, 2)
    (out / "metrics.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"done in {seconds:.1f} s: " + _summary(result))
    print(f"wrote {ckpt}, history.npz, metrics.json, losses.png, samples.png in {out}")
    return 0


def _summary(result: dict[str, Any]) -> str:
    if "w1" in result:
        return (f"W1 to the target {result['w1']:.4f}, KS {result['ks']:.4f}, samples mean "
                f"{result['mean']:.3f} std {result['std']:.3f}")
    if "modes_captured" in result:
        return (f"{result['modes_captured']}/{result['n_modes']} modes captured, "
                f"{result['high_quality_percent']:.1f}% high quality, "
                f"{result['modes_fair_share']} modes with a fair share")
    parts = []
    if "classifier" in result:
        c = result["classifier"]
        parts.append(f"{c['classes_covered']}/10 digits covered, Frechet distance "
                     f"{c['frechet_distance']:.2f}")
    if "parzen" in result:
        p = result["parzen"]
        parts.append(f"Parzen log-likelihood {p['mean']:.1f} +- {p['stderr']:.1f} (paper: 225 "
                     "+- 2)")
    return "; ".join(parts)


# -- tinygan sample / eval ---------------------------------------------------------------------


def cmd_sample(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix not in (".png", ".npy"):
        raise CLIError(f"--out {out}: the name must end in .png (a picture) or .npy (the raw "
                       "samples)")
    if args.n < 1:
        raise CLIError(f"-n must be at least 1, got {args.n}")
    setup, gan = _restore(_load_checkpoint(Path(args.checkpoint)), _device(args.device))
    if setup.num_classes is not None:
        try:
            labels = ([int(v) for v in args.labels.split(",")] if args.labels
                      else list(range(setup.num_classes)))
        except ValueError:
            raise CLIError(f"--labels {args.labels}: expected digits separated by commas, "
                           "e.g. 3 or 0,1,2") from None
        try:
            samples = gan.sample(args.n, labels=[labels[i % len(labels)] for i in range(args.n)],
                                 seed=args.seed)
        except ValueError as exc:
            raise CLIError(str(exc)) from None
    else:
        samples = gan.sample(args.n, seed=args.seed)
    array = samples.numpy()
    try:
        if out.suffix == ".npy":
            np.save(out, array)
        elif setup.data == "mnist":
            viz.save_images(array, out)
        elif setup.target.dim == 2:
            fig = viz.plot_samples_2d(array, setup.target.modes, title=setup.name)
            viz.save_figure(fig, out)
        else:
            x = np.linspace(setup.target.mean - 5 * setup.target.std,
                            setup.target.mean + 5 * setup.target.std, 400)
            fig = viz.plot_figure1(x, setup.target.pdf(x), array,
                                           gan.discriminate(x.reshape(-1, 1)), title=setup.name)
            viz.save_figure(fig, out)
    except OSError as exc:
        raise CLIError(f"cannot write {out}: {exc.strerror or exc}") from None
    print(f"wrote {args.n} samples of {setup.name} (step {gan.global_step}) to {out}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    setup, gan = _restore(_load_checkpoint(Path(args.checkpoint)), _device(args.device))
    from tinygan.data import MNISTError  # noqa: PLC0415

    try:
        result = evaluate(setup, gan, args.n, seed=args.seed, data_dir=args.data,
                          parzen=not args.no_parzen)
    except MNISTError as exc:
        raise CLIError(f"{exc} (give the folder with --data DIR, or skip the Parzen estimate "
                       "with --no-parzen)") from None
    print(json.dumps(result, indent=2))
    return 0


# -- the parser ----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tinygan", description="Train, sample and evaluate the "
                                     "reference GANs of tinygan (NumPy, from scratch).")
    commands = parser.add_subparsers(dest="command", required=True)
    setups = ", ".join(models.SETUPS)

    train = commands.add_parser("train", help="train a reference set-up",
                                description=f"Train a reference set-up: {setups}.")
    train.add_argument("setup", help=f"one of: {setups}")
    train.add_argument("--steps", type=int, help="total training steps (default: the set-up's)")
    train.add_argument("--batch-size", type=int, help="samples per batch (default: the set-up's)")
    train.add_argument("--k", type=int, help="discriminator steps per generator step (1)")
    train.add_argument("--generator-loss", choices=["non_saturating", "zero_sum"],
                       help="Eq. 5 (non_saturating, default) or Eq. 2 (zero_sum, the minimax "
                       "game of Eq. 4)")
    train.add_argument("--seed", type=int, help="seed of every random number (0)")
    train.add_argument("--out", help="output folder (default runs/SETUP)")
    train.add_argument("--data", help="MNIST folder (default $TINYGAN_DATA, else the cache)")
    train.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.npz")
    train.add_argument("--device", default="cpu", help="cpu or cuda (CuPy)")
    train.add_argument("--checkpoint-every", type=int, help="steps between checkpoints")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.set_defaults(func=cmd_train)

    sample = commands.add_parser("sample", help="draw samples from a checkpoint")
    sample.add_argument("checkpoint")
    sample.add_argument("-n", type=int, default=64, help="how many samples (64)")
    sample.add_argument("--out", required=True, help="a .png picture or a .npy array")
    sample.add_argument("--seed", type=int, default=0, help="seed of the noise z (0)")
    sample.add_argument("--labels", help="cgan-mnist: digits to draw, e.g. 3 or 0,1,2 (all)")
    sample.add_argument("--device", default="cpu")
    sample.set_defaults(func=cmd_sample)

    ev = commands.add_parser("eval", help="print a checkpoint's metrics as JSON")
    ev.add_argument("checkpoint")
    ev.add_argument("-n", type=int, help="samples to score (10,000; 2,500 in 2-D)")
    ev.add_argument("--seed", type=int, default=20140610, help="seed of the noise z")
    ev.add_argument("--data", help="MNIST folder, for the Parzen estimate")
    ev.add_argument("--no-parzen", action="store_true", help="MNIST: skip the Parzen estimate")
    ev.add_argument("--device", default="cpu")
    ev.set_defaults(func=cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 training failed, 2 bad request,
    130 interrupted)."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CLIError as exc:
        print(f"tinygan {args.command}: error: {exc}", file=sys.stderr)
        return 2
