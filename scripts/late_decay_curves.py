"""Measure a late decay of both learning rates: the pretrained MLP GAN's run, continued two ways.

    python scripts/late_decay_curves.py                 # continue both (resumable), then collect
    python scripts/late_decay_curves.py --collect-only

Both continuations start from the checkpoint of a 60,000-step mlp-mnist run (``--start``,
default ``runs/pretrained/mlp-mnist``, made by ``scripts/pretrained_weights.py``) and train on to
step 100,000 with ``tinygan train mlp-mnist --steps 100000 --resume``. The shipped curves
continued the run shipped before the R1 penalty (pack 2, the moving average with beta 0.999, no
R1); the run behind today's shipped generator adds ``--r1 1``, and continuing it measures the
decay on that run instead:

* ``constant``: the learning rates as they were (2e-4 for G and D);
* ``lr-decay``: ``--lr-decay 60000``, both rates falling linearly from 2e-4 at step 60,000 to 0
  at step 100,000 (``recipes.decay_learning_rates``).

Up to step 60,000 the two are the same run; the quality track of ``--track-every`` (kept by
the resumed runs, every 2,000 steps) continues in each, and the final evaluation (10,000
samples: the digit classifier, the Parzen window) is in each run's ``metrics.json``. Both go into
``tinygan/weights/curves-mlp-mnist-late.json`` (package data: notebook 09 draws them).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import tinygan

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = Path(tinygan.__file__).resolve().parent / "weights"
START, STEPS = 60_000, 100_000
VARIANTS = ("constant", "lr-decay")


def flags(variant: str, start_step: int) -> list[str]:
    """The variant's flags of ``tinygan train`` beyond ``--steps --resume``."""
    return ["--lr-decay", str(start_step)] if variant == "lr-decay" else []


def curves_path(folder: Path = WEIGHTS) -> Path:
    return folder / "curves-mlp-mnist-late.json"


def continue_run(variant: str, start: Path, run_dir: Path, start_step: int, steps: int) -> None:
    """Copy the run folder ``start`` (at step ``start_step``) to ``run_dir`` if it is not there
    yet, then train it on to ``steps`` with the variant's flags."""
    if not (run_dir / "checkpoint.npz").is_file():
        state = tinygan.load(start / "checkpoint.npz")
        if int(state["step"]) != start_step:
            raise SystemExit(f"late_decay_curves: {start} is at step {state['step']}, not "
                             f"{start_step}; train it there with scripts/pretrained_weights.py")
        shutil.copytree(start, run_dir)
    elif int(tinygan.load(run_dir / "checkpoint.npz")["step"]) >= steps:
        return
    command = [sys.executable, "-m", "tinygan", "train", "mlp-mnist", "--steps", str(steps),
               "--resume", *flags(variant, start_step), "--out", str(run_dir), "--quiet"]
    print(f"{variant}: tinygan {' '.join(command[3:])}", flush=True)
    subprocess.run(command, check=True)


def collect(runs: Path, out: Path, start_step: int, steps: int) -> dict[str, Any]:
    """Each variant's track from ``start_step`` on and its final metrics, in one file."""
    variants = {}
    for variant in VARIANTS:
        folder = runs / variant
        track = json.loads((folder / "track.json").read_text())
        final = json.loads((folder / "metrics.json").read_text())
        variants[variant] = {
            "command": " ".join(["tinygan train mlp-mnist --steps", str(steps), "--resume",
                                 *flags(variant, start_step)]),
            "points": [p for p in track["points"] if start_step <= p["step"] <= steps],
            "final": {"step": final["step"], "classifier": final["classifier"],
                      "parzen": {k: final["parzen"][k] for k in ("mean", "stderr", "sigma")},
                      "train_seconds": final["train_seconds"]}}
    result = {"setup": "mlp-mnist", "from_step": start_step, "steps": steps,
              "variants": variants,
              "what": "the pretrained mlp-mnist run (pack 2, EMA 0.999) continued from step "
                      f"{start_step} with constant learning rates and with both decaying "
                      "linearly to 0; each point: the digit classifier on 2,000 samples (noise "
                      "seed 1) of the average of G, 'raw' the raw G; 'final': 10,000 samples"}
    curves_path(out).write_text(json.dumps(result, indent=1) + "\n")
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--start", default=str(ROOT / "runs" / "pretrained" / "mlp-mnist"),
                   help="the run folder to continue (default runs/pretrained/mlp-mnist)")
    p.add_argument("--runs", default=str(ROOT / "runs" / "curves" / "mlp-mnist-late"))
    p.add_argument("--out", default=str(WEIGHTS), help="folder for the collected file")
    p.add_argument("--from-step", type=int, default=START, help=argparse.SUPPRESS)
    p.add_argument("--steps", type=int, default=STEPS, help=argparse.SUPPRESS)
    p.add_argument("--collect-only", action="store_true", help="train nothing, only collect")
    args = p.parse_args(argv)
    runs = Path(args.runs)
    if not 0 < args.from_step < args.steps:
        print(f"late_decay_curves: need 0 < --from-step < --steps, got {args.from_step} and "
              f"{args.steps}", file=sys.stderr)
        return 2
    if not args.collect_only:
        for variant in VARIANTS:
            continue_run(variant, Path(args.start), runs / variant, args.from_step, args.steps)
    result = collect(runs, Path(args.out), args.from_step, args.steps)
    for variant, v in result["variants"].items():
        f = v["final"]
        print(f"{variant}: step {f['step']}, Frechet {f['classifier']['frechet_distance']:.1f}, "
              f"Parzen {f['parzen']['mean']:.1f} +- {f['parzen']['stderr']:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
