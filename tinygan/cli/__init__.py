"""The command line: ``tinygan train``, ``tinygan sample``, ``tinygan eval`` (also ``python -m
tinygan``).

    tinygan train gauss1d                        # the main job: pictures in runs/gauss1d
    tinygan train mlp-mnist --data ~/mnist --out runs/mnist
    tinygan train gauss1d --resume               # continue runs/gauss1d from its checkpoint
    tinygan sample runs/gauss1d/checkpoint.npz -n 1000 --out samples.npy
    tinygan eval runs/gauss1d/checkpoint.npz     # the set-up's metrics, as JSON
    tinygan upscale runs/srresnet-mnist/checkpoint.npz lr.npy --out hr.npy   # 7x7 -> 28x28

``train`` writes into its folder: ``checkpoint.npz`` (every ``--checkpoint-every`` steps and at
the end, each replacing the last atomically), ``history.npz`` (every term of every step),
``metrics.json``, ``losses.png`` (the losses, D(x) and D(G(z)) and gradient norms),
``samples.png`` and ``samples/step_*.png`` (the set-up's picture over training). Ctrl-C or
SIGTERM finishes the step under way, saves a checkpoint and exits; ``--resume`` then gives the
same result, bit for bit, as a run that was never interrupted. ``--resume --steps N`` trains a
run further (or finishes it sooner), its learning-rate schedules rebuilt to end at step N.

Every failure ends in one line saying what happened and what was kept, never in a traceback;
the exit statuses are listed in ``EXIT_STATUSES`` (and in ``tinygan --help``).

- ``common.py``: errors, checked numbers, BLAS threads, signals, reading checkpoints;
- ``train.py``: ``tinygan train``;
- ``sample_eval.py``: ``tinygan sample`` and ``tinygan eval``;
- ``upscale.py``: ``tinygan upscale`` (the super-resolution set-ups).
"""

from __future__ import annotations

import argparse
import signal
import sys
import textwrap

import tinygan
from tinygan.cli.common import CannotWrite, CLIError, positive, sigterm_as_interrupt, step_number
from tinygan.cli.sample_eval import cmd_eval, cmd_sample
from tinygan.cli.train import cmd_train, fraction, learning_rate, non_negative
from tinygan.cli.upscale import add_upscale_parser
from tinygan.evaluation.report import draw_samples
from tinygan.gan import models

__all__ = ["EXIT_STATUSES", "CLIError", "build_parser", "draw_samples", "main"]

EXIT_STATUSES = """\
exit statuses:
  0    done (also: a resumed run that had already finished, nothing to do)
  1    training stopped (a loss, gradient or parameter went NaN or infinite), or a file
       could not be written (disk full, file-size limit); the last good checkpoint is kept
  2    a bad command line, set-up, checkpoint or data file; nothing was changed
  130  interrupted by Ctrl-C (training: the step under way finished and saved)
  143  stopped by SIGTERM, handled as Ctrl-C
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinygan", epilog=EXIT_STATUSES, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train, sample and evaluate the reference GANs of tinygan (NumPy, from "
                    "scratch).")
    parser.add_argument("--version", action="version", version=f"tinygan {tinygan.__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    setups = ", ".join([*models.SETUPS, *models.SUPERRES_SETUPS])
    threads = ("BLAS threads (default: 1 for the toy set-ups; for MNIST up to 4 of the "
               "idle cores; or what OPENBLAS_NUM_THREADS says)")

    train = commands.add_parser("train", help="train a reference set-up", epilog=EXIT_STATUSES,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                description=textwrap.fill(
                                    f"Train a reference set-up: {setups}. The default runs of "
                                    "mlp-mnist and dcgan-mnist add the recipe measured best "
                                    "for their budget: D judging pairs of images (--pack 2) "
                                    "and paying the R1 penalty (--r1 1), and a moving average "
                                    "of G (--ema 0.999), for 20,000 and 6,000 steps; --pack 1 "
                                    "--ema 0 --r1 0 --steps 10000 (3000) is the plain GAN.", 79))
    train.add_argument("setup", help=f"one of: {setups}")
    train.add_argument("--steps", type=positive, help="total training steps (default: the "
                       "set-up's); with --resume, where the continued run ends")
    train.add_argument("--batch-size", type=positive,
                       help="samples per batch (default: the set-up's)")
    train.add_argument("--k", type=positive, help="discriminator steps per generator step "
                       "(1; 5 with --loss wgan-gp)")
    train.add_argument("--loss", choices=["gan", "wgan-gp"],
                       help="gan (Eq. 1, default) or wgan-gp (a Wasserstein critic with the "
                       "gradient penalty; with it k = 5, Adam betas (0.5, 0.9), no BatchNorm "
                       "or packing in D, and lr 1e-4, lambda 10 for mlp-mnist, dcgan-mnist; "
                       "lr 1e-3, lambda 1, ReLU networks for ring2d, grid2d)")
    train.add_argument("--gp-weight", type=non_negative, metavar="LAMBDA",
                       help="with --loss wgan-gp: the gradient penalty's weight lambda "
                       "(default: the set-up's: 1 for ring2d, grid2d; 10 for the MNIST set-ups)")
    train.add_argument("--ema", type=fraction, metavar="BETA", help="sample and evaluate a "
                       "moving average of G's weights, theta_ema <- BETA theta_ema + (1 - BETA) "
                       "theta_G after each G step, e.g. 0.999 (default: the set-up's default "
                       "run, 0.999 for mlp-mnist, dcgan-mnist, else off; 0 turns it off)")
    train.add_argument("--label-smoothing", type=fraction, metavar="ALPHA", help="one-sided "
                       "label smoothing: D's target for real samples 1 - ALPHA, e.g. 0.1 "
                       "(default: 0, Eq. 1)")
    train.add_argument("--r1", type=non_negative, metavar="GAMMA", help="the R1 penalty: D "
                       "descends Eq. 1 + GAMMA/2 E ||grad_x D(x)||^2 on the real batch "
                       "(Mescheder et al. 2018), e.g. 1 (default: the set-up's default run, 1 "
                       "for mlp-mnist, dcgan-mnist, else 0: off)")
    train.add_argument("--g-lr", type=learning_rate, metavar="LR", help="G's Adam learning "
                       "rate (default: the set-up's); with --d-lr, two time-scales (TTUR)")
    train.add_argument("--d-lr", type=learning_rate, metavar="LR",
                       help="D's Adam learning rate (default: the set-up's)")
    train.add_argument("--lr-decay", type=step_number, metavar="STEP", help="both learning "
                       "rates constant until step STEP, then falling linearly to 0 at the last "
                       "step (default: off); a resumed run may add it, or move it, if STEP is "
                       "not behind the checkpoint's step")
    train.add_argument("--generator-loss", choices=["non_saturating", "zero_sum"],
                       help="Eq. 5 (non_saturating, default) or Eq. 2 (zero_sum, the minimax "
                       "game of Eq. 4)")
    train.add_argument("--seed", type=int, help="seed of every random number (0)")
    train.add_argument("--out", help="output folder (default runs/SETUP)")
    train.add_argument("--data", help="MNIST folder (default $TINYGAN_DATA, else the cache)")
    train.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.npz")
    train.add_argument("--device", default="cpu", help="cpu or cuda (CuPy)")
    train.add_argument("--checkpoint-every", type=positive, help="steps between checkpoints")
    train.add_argument("--pack", type=positive, metavar="M", help="D judges packs of M "
                       "samples (PacGAN; ring2d, grid2d, mlp-mnist, dcgan-mnist; default: the "
                       "set-up's default run: 4 for ring2d, grid2d, 2 for mlp-mnist and "
                       "dcgan-mnist, else 1)")
    train.add_argument("--track-every", type=positive, metavar="STEPS", help="every STEPS "
                       "steps, measure 2,000 samples (MNIST: the digit classifier's Fréchet "
                       "distance, confidence, class balance; with --ema the raw G's too) into "
                       "OUT/track.json, against the training's wall time (default: off)")
    train.add_argument("--threads", type=positive, help=threads)
    train.add_argument("--quiet", action="store_true", help="no progress bars")
    train.set_defaults(func=cmd_train)

    sample = commands.add_parser("sample", help="draw samples from a checkpoint")
    sample.add_argument("checkpoint", nargs="?", help="a checkpoint of `tinygan train`")
    sample.add_argument("--pretrained", metavar="NAME", help="sample a shipped generator "
                        "instead: mlp-mnist, dcgan-mnist or cgan-mnist")
    sample.add_argument("-n", type=positive, default=64, help="how many samples (64)")
    sample.add_argument("--out", required=True, help="a .png picture or a .npy array")
    sample.add_argument("--seed", type=int, default=0, help="seed of the noise z (0)")
    sample.add_argument("--labels", help="cgan-mnist: digits to draw, e.g. 3 or 0,1,2 (all)")
    sample.add_argument("--device", default="cpu")
    sample.add_argument("--threads", type=positive, help=threads)
    sample.set_defaults(func=cmd_sample)

    ev = commands.add_parser("eval", help="print a checkpoint's metrics as JSON")
    ev.add_argument("checkpoint")
    ev.add_argument("-n", type=positive, help="samples to score (10,000; 2,500 in 2-D)")
    ev.add_argument("--seed", type=int, default=20140610, help="seed of the noise z")
    ev.add_argument("--data", help="MNIST folder, for the Parzen estimate")
    ev.add_argument("--no-parzen", action="store_true", help="MNIST: skip the Parzen estimate")
    ev.add_argument("--device", default="cpu")
    ev.add_argument("--threads", type=positive, help=threads)
    ev.set_defaults(func=cmd_eval)
    add_upscale_parser(commands, threads)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (see ``EXIT_STATUSES``)."""
    args = build_parser().parse_args(argv)
    name = f"tinygan {args.command}"
    with sigterm_as_interrupt():
        try:
            return args.func(args)
        except CLIError as exc:
            print(f"{name}: error: {exc}", file=sys.stderr)
            return 2
        except CannotWrite as exc:
            print(f"{name}: error: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt as exc:  # train says more; sample and eval write nothing
            signum = getattr(exc, "signal", signal.SIGINT)
            what = "SIGTERM" if signum == signal.SIGTERM else "Ctrl-C"
            print(f"{name}: stopped by {what}; nothing was written", file=sys.stderr)
            return 128 + signum
        except OSError as exc:  # a write the command does not expect to fail, e.g. a picture
            where = f" {exc.filename}" if exc.filename else ""
            print(f"{name}: error: cannot write{where} ({exc.strerror or exc})", file=sys.stderr)
            return 1
