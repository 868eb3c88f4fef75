"""``tinygan upscale CHECKPOINT INPUT.npy --out OUTPUT.npy|.png``: a super-resolution checkpoint
(``tinygan train srresnet-mnist`` or ``srgan-mnist``) applied to low-resolution digits.

INPUT is a NumPy file of shape (N, 1, 7, 7), floats in [-1, 1]: MNIST images scaled to [-1, 1]
as the training data, then degraded by ``tinygan.gan.superres.degrade`` (the mean over 4x4
blocks). OUTPUT.npy gets the (N, 1, 28, 28) float32 images in [-1, 1]; OUTPUT.png a grid of
them. Every bad input (a missing or unreadable file, a wrong shape, dtype or range, NaN, a
checkpoint of a set-up that does not upscale) is one line naming what was expected and what
came, exit status 2, and nothing is written.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from tinygan import viz
from tinygan.cli.common import (
    CannotWrite,
    CLIError,
    blas_threads,
    device,
    load_checkpoint,
    positive,
    restore,
)
from tinygan.gan import models

__all__ = ["add_upscale_parser", "cmd_upscale", "read_low_resolution"]

LR_SHAPE = (1, 7, 7)


def add_upscale_parser(commands: Any, threads: str) -> None:
    """The ``upscale`` sub-command, on the sub-parsers of ``tinygan``'s parser."""
    up = commands.add_parser(
        "upscale", help="upscale 7x7 digits x4 with a super-resolution checkpoint",
        description="Upscale low-resolution digits (N, 1, 7, 7) in [-1, 1] to (N, 1, 28, 28) "
                    "with a checkpoint of srresnet-mnist or srgan-mnist.")
    up.add_argument("checkpoint", help="a checkpoint of tinygan train srresnet-mnist/srgan-mnist")
    up.add_argument("input", help="a .npy file of shape (N, 1, 7, 7), floats in [-1, 1]")
    up.add_argument("--out", required=True, help="OUTPUT.npy (the images) or OUTPUT.png (a grid)")
    up.add_argument("--device", default="cpu")
    up.add_argument("--threads", type=positive, help=threads)
    up.set_defaults(func=cmd_upscale)


def read_low_resolution(path: Path) -> np.ndarray:
    """The LR images of ``path`` as float32 (N, 1, 7, 7) in [-1, 1], or a CLIError saying what
    is wrong with them."""
    if not path.is_file():
        raise CLIError(f"no input file at {path}")
    try:
        x = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise CLIError(f"{path} cannot be read as a NumPy .npy array ({exc})") from None
    if not isinstance(x, np.ndarray):
        raise CLIError(f"{path} holds several arrays (an .npz archive); give one .npy array of "
                       "shape (N, 1, 7, 7)")
    if x.dtype.kind not in "fiu":
        raise CLIError(f"{path}: expected numbers, got an array of dtype {x.dtype}")
    if x.ndim != 4 or x.shape[1:] != LR_SHAPE or len(x) == 0:
        hint = (" (28x28 images: degrade them first with tinygan.gan.superres.degrade, the "
                "mean over 4x4 blocks)" if x.shape[-2:] == (28, 28) else "")
        raise CLIError(f"{path}: expected low-resolution images of shape (N, 1, 7, 7) with "
                       f"N >= 1, got shape {x.shape}{hint}")
    bad = int(np.count_nonzero(~np.isfinite(x))) if x.dtype.kind == "f" else 0
    if bad:
        raise CLIError(f"{path}: expected finite pixel values, got {bad} NaN or infinite "
                       f"value(s) (the first in image {int(np.argwhere(~np.isfinite(x))[0, 0])})")
    lo, hi = float(x.min()), float(x.max())
    if lo < -1.001 or hi > 1.001:
        hint = (" (images in [0, 255] or [0, 1]: map them to [-1, 1] with x / 127.5 - 1 or "
                "2 x - 1, as the training data)" if lo >= 0 else "")
        raise CLIError(f"{path}: expected pixel values in [-1, 1], got values in "
                       f"[{lo:.4g}, {hi:.4g}]{hint}")
    return x.astype(np.float32)


def cmd_upscale(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix not in (".png", ".npy"):
        raise CLIError(f"--out {out}: the name must end in .npy (the images) or .png (a grid)")
    path = Path(args.checkpoint)
    state = load_checkpoint(path)
    name = state["run"]["setup"]
    if name not in models.SUPERRES_SETUPS:
        raise CLIError(f"{path} is a checkpoint of {name}, which does not upscale images; "
                       f"give a checkpoint of {' or '.join(models.SUPERRES_SETUPS)} (tinygan "
                       "train srresnet-mnist)")
    lr = read_low_resolution(Path(args.input))
    setup, gan = restore(state, path, device(args.device))
    blas_threads(setup.name, args.threads)
    images = gan.upscale(lr)
    try:
        if out.suffix == ".npy":
            np.save(out, images)
        else:
            viz.save_images(images, out)
    except OSError as exc:
        raise CannotWrite(f"cannot write {out} ({exc.strerror or exc})") from None
    print(f"upscaled {len(images)} images (N, 1, 7, 7) -> (N, 1, 28, 28) with {setup.name} "
          f"(step {gan.global_step}) into {out}")
    return 0
