"""``tinygan train SETUP``: train a reference set-up, with checkpoints, pictures and metrics.

What may stop a run, and what it leaves (the exit status in brackets):

- done [0]: checkpoint.npz, history.npz, metrics.json, losses.png, samples.png, samples/;
- a loss, gradient or parameter gone NaN or infinite [1]: the last checkpoint written is kept
  (each is finite: an update that is not is undone before anything is saved);
- a file that cannot be written, e.g. a full disk [1]: the previous checkpoint is intact;
- Ctrl-C [130] or SIGTERM [143]: the step under way is finished and saved (a second Ctrl-C
  stops at once, keeping the last checkpoint); during start-up or the final evaluation the
  message says what was kept.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any

import tinygan
from tinygan import viz
from tinygan.cli.common import CannotWrite, CLIError, blas_threads, device, load_checkpoint, restore
from tinygan.cli.run_files import finished, prepare_out, quality_track, save_history, write_json
from tinygan.evaluation.report import draw_samples, evaluate
from tinygan.gan import models, recipes
from tinygan.gan.training import NonFiniteLossError, TrainingInterrupted

__all__ = ["cmd_train"]

RUN_KEYS = ("seed", "batch_size", "k", "generator_loss", "loss", "gp_weight", "ema",
            "label_smoothing", "r1", "g_lr", "d_lr", "lr_decay", "track_every", "pack")
# gan/recipes.py's switches, as the run's settings print them (None: not used)
RECIPES = {"ema": "EMA of G, beta", "label_smoothing": "label smoothing",
           "r1": "R1 penalty, gamma", "g_lr": "G lr",
           "d_lr": "D lr", "lr_decay": "both lrs decaying to 0 from step"}


def non_negative(text: str) -> float:
    """argparse ``type=``: a finite number >= 0 (``--gp-weight``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def fraction(text: str) -> float:
    """argparse ``type=``: a number in [0, 1) (``--ema``, ``--label-smoothing``)."""
    value = non_negative(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"must be a number in [0, 1), got {text}")
    return value


def learning_rate(text: str) -> float:
    """argparse ``type=``: a finite number > 0 (``--g-lr``, ``--d-lr``)."""
    value = non_negative(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"must be a learning rate > 0, got {text}")
    return value


class _Stage:
    """What the run is doing now, and what is kept if it is interrupted there."""

    now = "start-up"
    kept = "nothing was written"


def cmd_train(args: argparse.Namespace) -> int:
    if args.setup not in models.SETUPS and args.setup not in models.SUPERRES_SETUPS:
        raise CLIError(f"unknown set-up {args.setup!r}; valid set-ups: "
                       f"{', '.join([*models.SETUPS, *models.SUPERRES_SETUPS])}")
    stage = _Stage()
    try:
        return _train(args, Path(args.out or os.path.join("runs", args.setup)), stage)
    except CannotWrite as exc:
        print(f"tinygan train: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM outside a training step
        signum = getattr(exc, "signal", signal.SIGINT)
        what = "SIGTERM" if signum == signal.SIGTERM else "Ctrl-C"
        print(f"tinygan train: stopped by {what} during {stage.now}; {stage.kept}",
              file=sys.stderr)
        return 128 + signum


def _resumed_run(args: argparse.Namespace, ckpt: Path, out: Path) -> dict[str, Any]:
    """The checkpoint to continue, checked against what this command asks for."""
    if not ckpt.exists():
        raise CLIError(f"--resume: there is no checkpoint at {ckpt}; give the --out folder of "
                       "the run to continue, or train without --resume")
    state = load_checkpoint(ckpt)
    run = state["run"]
    if run["setup"] != args.setup:
        raise CLIError(f"{ckpt} is a checkpoint of the set-up {run['setup']!r}, not "
                       f"{args.setup!r}; resume it with `tinygan train {run['setup']} --out "
                       f"{out} --resume`, or pick another --out for {args.setup}")
    decay, was = args.lr_decay, run.get("lr_decay")
    if decay is not None and decay >= state["step"] and (was is None or was >= state["step"]):
        run["lr_decay"] = decay  # the steps trained so far had constant rates either way
    for key in RUN_KEYS:
        given = getattr(args, key)
        if given is not None and given != run.get(key):
            was = "none" if run.get(key) is None else run[key]
            why = (f" (the decay may be added or moved only to a step not behind the "
                   f"checkpoint's {state['step']})" if key == "lr_decay" else "")
            raise CLIError(f"--{key.replace('_', '-')} {given} differs from the resumed run's "
                           f"{was}; a resumed run keeps its settings{why}")
    if args.steps is not None and args.steps < state["step"]:
        raise CLIError(f"--steps {args.steps}: the run in {out} is already at step "
                       f"{state['step']}, and a resumed run only goes on; give --steps above "
                       f"{state['step']}, or train afresh with another --out")
    return state


def _data(setup: models.Setup, gan: Any, data_dir: str | None, seed: int) -> Any:
    """Where real batches come from: the toy distribution, or a seeded MNIST stream advanced
    past the batches the checkpoint's steps already used (so a resume sees the same batches).
    Every MNIST file the run needs, the test files of the final evaluation too, is checked
    now, before the first step."""
    if setup.data == "toy":
        return setup.target
    from tinygan.data import MNISTError, infinite_batches, load_mnist

    try:
        images, labels = load_mnist(data_dir, "train")
        load_mnist(data_dir, "test")  # checked now; read again by the final evaluation
    except MNISTError as exc:
        raise CLIError(f"{exc} (give the folder with --data DIR or TINYGAN_DATA)") from None
    setup.data_dir = data_dir  # where set-ups that draw test images (super-resolution) read them
    data = (images, labels) if setup.num_classes is not None else images
    stream = infinite_batches(data, setup.batch_size, seed=seed, device=gan.device)
    for _ in range(gan.global_step * gan.k):
        next(stream)
    return stream


def _schedules_note(gan: Any, state: dict[str, Any], total: int) -> str | None:
    """One line on the learning-rate schedules rebuilt for a new --steps, if there are any."""
    notes = []
    for who, name, optimizer in (("G", "g_scheduler", gan.g_optimizer),
                                 ("D", "d_scheduler", gan.d_optimizer)):
        was = state[name[0] + "_optimizer"]["param_groups"][0]["lr"]
        if state.get(name) and total != state["run"]["steps"] and (
                optimizer.param_groups[0]["lr"] != was):
            notes.append(f"{who}'s learning rate now {optimizer.param_groups[0]['lr']:.3g} "
                         f"(was {was:.3g}), reaching its end at step {total} instead of "
                         f"{state['run']['steps']}")
    return "rebuilt the schedules for --steps {}: {}".format(total, "; ".join(notes)) if (
        notes) else None


def _train(args: argparse.Namespace, out: Path, stage: _Stage) -> int:
    name, ckpt = args.setup, out / "checkpoint.npz"
    prepare_out(out)
    dev = device(args.device)
    state = _resumed_run(args, ckpt, out) if args.resume else None
    threads = blas_threads(name, args.threads)
    if state is not None:
        run = dict(state["run"])
        stage.kept = f"the checkpoint of step {state['step']} in {ckpt} is untouched"
        tinygan.manual_seed(run["seed"])
        setup, gan = restore(state, ckpt, dev, steps=args.steps or run["steps"])
    else:
        run = {"setup": name, "seed": 0 if args.seed is None else args.seed, "k": args.k,
               "generator_loss": args.generator_loss or "non_saturating",
               "batch_size": args.batch_size, "steps": args.steps, "loss": args.loss or "gan",
               "gp_weight": args.gp_weight, "track_every": args.track_every, "pack": args.pack,
               **{k: getattr(args, k) for k in RECIPES}}
        if run["gp_weight"] is not None and run["loss"] != "wgan-gp":
            raise CLIError(f"--gp-weight is the weight of WGAN-GP's gradient penalty; give it "
                           f"with --loss wgan-gp (the run's loss is {run['loss']})")
        given = [f"--{k.replace('_', '-')}" for k in RECIPES if run[k] is not None]
        if given and name in models.SUPERRES_SETUPS:
            raise CLIError(f"{', '.join(given)}: the recipes of gan/recipes.py are for the GAN "
                           f"set-ups ({', '.join(models.SETUPS)}), not {name}")
        if run["track_every"] is not None and name in models.SUPERRES_SETUPS:
            raise CLIError(f"--track-every: the quality track is for the GAN set-ups "
                           f"({', '.join(models.SETUPS)}); {name}'s own metrics are in "
                           "metrics.json at the end of the run")
        if run["pack"] is not None and name not in models.PACKED_SETUPS:
            raise CLIError(f"--pack: {name}'s D has no packing; the set-ups that pack are "
                           f"{', '.join(models.PACKED_SETUPS)}")
        for key, value in recipes.default_run(name, run["loss"]).items():
            run[key] = value if run[key] is None else run[key]  # a flag given wins
        run["ema"] = run["ema"] or None  # --ema 0: no average
        tinygan.manual_seed(run["seed"])
        options = {k: run[k] for k in ("batch_size", "steps", "pack") if run[k] is not None}
        try:
            setup = models.build(name, device=dev, loss=run["loss"], **options)
            recipes.set_learning_rates(setup, run["g_lr"], run["d_lr"])
            gan = setup.gan(k=run["k"], generator_loss=run["generator_loss"],
                            gp_weight=run["gp_weight"])
            recipes.with_recipes(gan, run["ema"], run["label_smoothing"] or 0.0,
                                 run["r1"] or 0.0)
            if run["lr_decay"] is not None:
                recipes.decay_learning_rates(gan, run["lr_decay"], setup.steps)
        except ValueError as exc:
            raise CLIError(str(exc)) from None
        run["k"], run["generator_loss"] = gan.k, gan.generator_loss  # the set-up's, if not given
        run["gp_weight"] = gan.gp_weight if gan.loss == "wgan-gp" else None
    note = _schedules_note(gan, state, setup.steps) if state is not None else None
    run["batch_size"], run["steps"] = setup.batch_size, setup.steps
    if state is not None and gan.global_step == run["steps"] and finished(out, run["steps"]):
        print(f"tinygan train {name}: the run in {out} already finished at step "
              f"{run['steps']}; its results are in {out / 'metrics.json'}, nothing to do (give "
              "a larger --steps to train further)")
        return 0
    stage.now = "loading the data"
    data = _data(setup, gan, args.data, run["seed"])
    every = args.checkpoint_every or setup.checkpoint_every
    saved = {"step": gan.global_step if state is not None else None,
             "seconds": float(run.get("train_seconds", 0.0))}
    start = time.perf_counter()
    track = quality_track(setup, gan, run, lambda: saved["seconds"] + time.perf_counter() - start)

    def save() -> None:
        run["train_seconds"] = round(saved["seconds"] + time.perf_counter() - start, 2)
        if track is not None:
            run["track"], run["track_spent"] = track.points, round(track.spent, 3)
        try:
            tinygan.save({**gan.state_dict(), "run": run, "version": tinygan.__version__}, ckpt)
        except OSError as exc:
            last = (f"the previous checkpoint, of step {saved['step']}, is intact"
                    if saved["step"] is not None else "no checkpoint had been written yet")
            raise CannotWrite(f"cannot write the checkpoint {ckpt} ({exc.strerror or exc}); "
                              f"{last}") from None
        saved["step"] = gan.global_step
        stage.kept = f"the checkpoint of step {gan.global_step} is saved in {ckpt}"
        try:
            save_history(gan, out / "history.npz")
        except OSError as exc:
            raise CannotWrite(f"cannot write {out / 'history.npz'} ({exc.strerror or exc}); "
                              f"{stage.kept}") from None
        if track is not None:
            write_json(out / "track.json", {"setup": name, "run": {
                k: run.get(k) for k in RUN_KEYS}, "points": track.points}, stage.kept)

    def picture(path: Path, draw: Any = None) -> None:
        path.parent.mkdir(exist_ok=True)
        try:
            draw(path) if draw else draw_samples(setup, gan, path)
        except OSError as exc:
            raise CannotWrite(f"cannot write {path} ({exc.strerror or exc}); "
                              f"{stage.kept}") from None

    def periodic(gan: Any, record: Any) -> None:
        if track is not None:
            track(gan, record)
        if gan.global_step % every == 0 and gan.global_step < run["steps"]:
            save()
            picture(out / "samples" / f"step_{gan.global_step:06d}.png")

    remaining = run["steps"] - gan.global_step
    plan = (f"{remaining} steps (from step {gan.global_step} to {run['steps']})" if remaining
            else f"training finished at step {gan.global_step}, its metrics are missing")
    penalty = f" (gradient penalty weight {gan.gp_weight:g})" if gan.loss == "wgan-gp" else ""
    penalty += "".join(f", {what} {run[key]:g}" for key, what in RECIPES.items()
                       if run.get(key) is not None)
    penalty += f", D judges packs of {run['pack']}" if (run.get("pack") or 1) > 1 else ""
    print(f"tinygan train {name}: {plan}, batch {setup.batch_size}, loss {gan.loss}{penalty}, "
          f"k={gan.k}, generator loss {gan.generator_loss}, seed {run['seed']}, device {dev.name}; "
          f"{threads}; writing to {out}")
    if note:
        print(note)
    stage.now = f"training (step {gan.global_step + 1})"
    try:
        gan.fit(data, remaining, batch_size=setup.batch_size, callbacks=[periodic],
                progress=not args.quiet)
    except TrainingInterrupted as exc:
        save()
        what = "SIGTERM" if exc.signal == signal.SIGTERM else "interrupted"
        print(f"{what}: checkpoint of step {gan.global_step} saved to {ckpt}; continue with: "
              f"tinygan train {name} --out {out} --resume", file=sys.stderr)
        return 128 + exc.signal
    except NonFiniteLossError as exc:
        last = (f"the last good checkpoint, of step {saved['step']}, is {ckpt}"
                if saved["step"] is not None else "no checkpoint had been written yet")
        print(f"tinygan train: error: {exc}\n{last} (left untouched)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        stage.now = f"step {gan.global_step + 1}, at once (a second signal)"
        raise
    seconds = time.perf_counter() - start
    if track is not None and (not track.points or track.points[-1]["step"] < gan.global_step):
        track.measure()
    stage.now = "the final save"
    save()
    stage.now = "the final pictures"
    picture(out / "samples.png")
    picture(out / "samples" / f"step_{gan.global_step:06d}.png",
            lambda path: shutil.copyfile(out / "samples.png", path))
    plot_history = getattr(setup, "plot_history", viz.plot_history)
    picture(out / "losses.png", lambda path: viz.save_figure(plot_history(gan.history), path))
    stage.now = "the final evaluation"
    stage.kept += (f"; metrics.json was not written (write it with: tinygan train {name} "
                   f"--out {out} --resume)")
    result = evaluate(setup, gan, data_dir=args.data, progress=not args.quiet)
    result["train_seconds"] = run["train_seconds"]
    try:
        (out / "metrics.json").write_text(json.dumps(result, indent=2) + "\n")
    except OSError as exc:
        raise CannotWrite(f"cannot write {out / 'metrics.json'} ({exc.strerror or exc}); "
                          f"the checkpoint of step {gan.global_step} is saved in {ckpt}") from None
    print(f"done in {seconds:.1f} s: " + _summary(result))
    print(f"wrote {ckpt}, history.npz, metrics.json, losses.png, samples.png in {out}")
    return 0


def _summary(result: dict[str, Any]) -> str:
    if "psnr" in result:  # super-resolution
        b = result["baselines"]["bicubic"]
        return (f"PSNR {result['psnr']:.2f} dB, SSIM {result['ssim']:.3f}, digits kept "
                f"{100 * result['accuracy']:.1f}%, Frechet distance "
                f"{result['frechet_distance']:.1f} (bicubic: {b['psnr']:.2f} dB, "
                f"{b['ssim']:.3f}, {100 * b['accuracy']:.1f}%, {b['frechet_distance']:.1f})")
    if "w1" in result:
        return (f"W1 to the target {result['w1']:.4f}, KS {result['ks']:.4f}, samples mean "
                f"{result['mean']:.3f} std {result['std']:.3f}")
    if "modes_captured" in result:
        counts = ", ".join(str(c) for c in result["mode_counts"])
        return (f"{result['modes_captured']}/{result['n_modes']} modes captured, "
                f"{result['high_quality_percent']:.1f}% high quality, "
                f"{result['modes_fair_share']} modes with a fair share (at least "
                f"{result['fair_share_needed']:g} of the {result['n_samples']:,} samples, "
                f"high-quality, at the mode; per mode: {counts})")
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
