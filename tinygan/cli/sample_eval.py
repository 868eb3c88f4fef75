"""``tinygan sample`` (samples of a checkpoint, or of a shipped generator, as a picture or an
array) and ``tinygan eval`` (a checkpoint's metrics, as JSON)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from tinygan import viz
from tinygan.cli.common import CannotWrite, CLIError, blas_threads, device, load_checkpoint, restore
from tinygan.evaluation.report import evaluate
from tinygan.gan import models

__all__ = ["cmd_eval", "cmd_sample"]


def _sample_source(args: argparse.Namespace) -> tuple[models.Setup, Any]:
    """What ``tinygan sample`` draws from: a checkpoint, or a shipped generator (--pretrained),
    whose GAN then counts the steps it was trained for."""
    from tinygan.gan.pretrained import PRETRAINED, pretrained_setup

    if args.checkpoint is not None and args.pretrained is not None:
        raise CLIError("give a checkpoint or --pretrained NAME, not both")
    if args.checkpoint is None and args.pretrained is None:
        raise CLIError("give a checkpoint to sample from, or --pretrained NAME (one of "
                       f"{', '.join(PRETRAINED)})")
    if args.checkpoint is not None:
        path = Path(args.checkpoint)
        return restore(load_checkpoint(path), path, device(args.device))
    try:
        setup = pretrained_setup(args.pretrained, device(args.device))
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    gan = setup.gan()
    gan.global_step = setup.generator.training_info.get("steps", 0)
    return setup, gan


def _labels(args: argparse.Namespace, setup: models.Setup) -> list[int] | None:
    """The classes to draw, one per sample in turn (None for a set-up without classes)."""
    if setup.num_classes is None:
        if args.labels:
            raise CLIError(f"--labels {args.labels}: the set-up {setup.name} has no classes "
                           "to choose from (only cgan-mnist draws digits of chosen labels)")
        return None
    try:
        labels = ([int(v) for v in args.labels.split(",")] if args.labels
                  else list(range(setup.num_classes)))
    except ValueError:
        raise CLIError(f"--labels {args.labels}: expected digits separated by commas, e.g. 3 "
                       "or 0,1,2") from None
    bad = [v for v in labels if not 0 <= v < setup.num_classes]
    if bad:
        raise CLIError(f"--labels {args.labels}: labels are 0 to {setup.num_classes - 1}, got "
                       f"{', '.join(map(str, bad))}")
    return [labels[i % len(labels)] for i in range(args.n)]


def cmd_sample(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix not in (".png", ".npy"):
        raise CLIError(f"--out {out}: the name must end in .png (a picture) or .npy (the raw "
                       "samples)")
    setup, gan = _sample_source(args)
    if setup.name in models.SUPERRES_SETUPS:
        raise CLIError(f"{args.checkpoint} is a checkpoint of {setup.name}, which upscales "
                       "images instead of drawing samples: use `tinygan upscale CHECKPOINT "
                       "INPUT.npy --out OUTPUT.npy`")
    blas_threads(setup.name, args.threads)
    labels = _labels(args, setup)
    if labels is not None:
        samples = gan.sample(args.n, labels=labels, seed=args.seed)
    else:
        samples = gan.sample(args.n, seed=args.seed)
    array = samples.numpy()
    try:
        if out.suffix == ".npy":
            np.save(out, array)
        elif setup.data == "mnist":
            viz.save_images(array, out)
        elif setup.target.dim == 2:
            viz.save_figure(viz.plot_samples_2d(array, setup.target.modes, title=setup.name),
                            out)
        else:
            x = np.linspace(setup.target.mean - 5 * setup.target.std,
                            setup.target.mean + 5 * setup.target.std, 400)
            fig = viz.plot_figure1(x, setup.target.pdf(x), array,
                                   gan.discriminate(x.reshape(-1, 1)), title=setup.name)
            viz.save_figure(fig, out)
    except OSError as exc:
        raise CannotWrite(f"cannot write {out} ({exc.strerror or exc})") from None
    print(f"wrote {args.n} samples of {setup.name} (step {gan.global_step}) to {out}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    path = Path(args.checkpoint)
    setup, gan = restore(load_checkpoint(path), path, device(args.device))
    blas_threads(setup.name, args.threads)
    parzen = not args.no_parzen
    if setup.data == "mnist" and parzen:
        from tinygan.data import MNISTError, load_mnist

        try:  # checked before the samples are drawn and scored, not after
            load_mnist(args.data, "train")
            load_mnist(args.data, "test")
        except MNISTError as exc:
            raise CLIError(f"{exc} (give the folder with --data DIR, or skip the Parzen "
                           "estimate with --no-parzen)") from None
    result = evaluate(setup, gan, args.n, seed=args.seed, data_dir=args.data, parzen=parzen,
                      progress=True)
    print(json.dumps(result, indent=2))
    return 0
