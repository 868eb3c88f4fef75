"""Measure what each training recipe does: sample quality against training wall time.

    python scripts/recipe_curves.py mlp-mnist                  # train every variant, then collect
    python scripts/recipe_curves.py dcgan-mnist --variants label-smoothing
    python scripts/recipe_curves.py mlp-mnist --steps 40 --out /tmp/c    # a quick try

For a set-up, each variant of ``VARIANTS`` is one seeded ``tinygan train`` run with the quality
track on (``--track-every``: the digit classifier's Fréchet distance of 2,000 samples, the class
balance and the confidence, against the training's wall time without the measuring). Every
variant keeps a moving average of G (``--ema 0.999``), and the track measures the raw G beside
it at every point; the average does not change training, so each run gives two curves, with and
without the average:

* ``plain``: the set-up's defaults (Eq. 1 for D, Eq. 5 for G, one learning rate, D judging
  one image at a time);
* ``pack-2``: PacGAN's packing, D judging pairs of images (``--pack 2``);
* ``label-smoothing``: one-sided label smoothing, D's target for real images 0.9;
* ``ttur``: two time-scale learning rates, G 1e-4 and D 4e-4 (Heusel et al. 2017).

Runs go to ``runs/curves/SETUP/VARIANT`` and continue with ``--resume`` when the script is run
again; a run folder trained further with the same settings gives its points up to the curve's
steps (no set-up here has a schedule that depends on the run's length). Then every variant's
points are collected into ``tinygan/weights/curves-SETUP.json`` (package data: the lesson on
recipes, notebook 09, draws its curves from it), with each run's command and the load average
it ran under (on a shared machine the seconds depend on it; the steps do not).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import tinygan

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = Path(tinygan.__file__).resolve().parent / "weights"

EMA = ["--ema", "0.999"]
VARIANTS: dict[str, list[str]] = {
    "plain": [*EMA, "--pack", "1"],
    "pack-2": [*EMA, "--pack", "2"],
    "label-smoothing": [*EMA, "--pack", "1", "--label-smoothing", "0.1"],
    "ttur": [*EMA, "--pack", "1", "--g-lr", "1e-4", "--d-lr", "4e-4"],
}
CURVES: dict[str, dict[str, int]] = {  # steps of each run, steps between track points
    "mlp-mnist": {"steps": 30_000, "track_every": 2_000},
    "dcgan-mnist": {"steps": 6_000, "track_every": 1_000},
}


def curves_path(name: str, folder: Path = WEIGHTS) -> Path:
    """Where the collected curves of set-up ``name`` live."""
    return folder / f"curves-{name}.json"


def run_variant(name: str, variant: str, steps: int, track_every: int, run_dir: Path,
                seed: int) -> dict[str, Any] | None:
    """Train (or continue) one variant; returns this invocation's record, or None if the run
    was already done."""
    ckpt = run_dir / "checkpoint.npz"
    if ckpt.is_file() and int(tinygan.load(ckpt)["step"]) >= steps:
        return None  # done (a longer run of the same settings holds this one)
    command = [sys.executable, "-m", "tinygan", "train", name, "--steps", str(steps), "--seed",
               str(seed), *VARIANTS[variant], "--track-every", str(min(track_every, steps)),
               "--out", str(run_dir), "--quiet"]
    if ckpt.is_file():
        command.append("--resume")
    run_dir.mkdir(parents=True, exist_ok=True)
    print(f"{name} {variant}: tinygan {' '.join(command[3:])}", flush=True)
    before = os.getloadavg()
    start = time.perf_counter()
    subprocess.run(command, check=True)
    return {"command_seconds": round(time.perf_counter() - start, 1),
            "load_average_before": [round(v, 2) for v in before],
            "load_average_after": [round(v, 2) for v in os.getloadavg()],
            "finished": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def collect(name: str, out: Path, runs: Path, steps: int) -> dict[str, Any]:
    """Every variant's track in one file, ``curves-NAME.json`` in ``out``."""
    variants = {}
    for variant in VARIANTS:
        track = runs / variant / "track.json"
        if track.is_file() and json.loads(track.read_text())["points"][-1]["step"] >= steps:
            data = json.loads(track.read_text())
            log = runs / variant / "curve_log.json"
            variants[variant] = {
                "command": f"tinygan train {name} --steps {steps} --seed {data['run']['seed']} "
                           + " ".join(VARIANTS[variant]),
                "points": [p for p in data["points"] if p["step"] <= steps],
                "runs": json.loads(log.read_text()) if log.is_file() else []}
    result = {"setup": name, "steps": steps, "flags": VARIANTS, "variants": variants,
              "what": "each point: the digit classifier on 2,000 samples (noise seed 1) of the "
                      "moving average of G (beta 0.999); 'raw': the same for the raw G; "
                      "'seconds': training wall time without the measuring"}
    curves_path(name, out).write_text(json.dumps(result, indent=1) + "\n")
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("name", choices=list(CURVES), help="the set-up")
    p.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    p.add_argument("--out", default=str(WEIGHTS), help="folder for curves-NAME.json")
    p.add_argument("--steps", type=int, default=None, help="steps per run (a quick try)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--collect-only", action="store_true", help="train nothing, only collect")
    args = p.parse_args(argv)
    out = Path(args.out)
    if not out.is_dir():
        print(f"recipe_curves: folder {out} does not exist", file=sys.stderr)
        return 2
    if args.steps is not None and args.steps < 1:
        print(f"recipe_curves: --steps must be at least 1, got {args.steps}", file=sys.stderr)
        return 2
    spec = CURVES[args.name]
    steps = args.steps or spec["steps"]
    quick = args.steps is not None or out.resolve() != WEIGHTS
    runs = (out / "runs" if quick else ROOT / "runs" / "curves") / args.name
    for variant in [] if args.collect_only else args.variants:
        record = run_variant(args.name, variant, steps, spec["track_every"], runs / variant,
                             args.seed)
        if record is not None:
            log = runs / variant / "curve_log.json"
            previous = json.loads(log.read_text()) if log.is_file() else []
            log.write_text(json.dumps([*previous, record], indent=1) + "\n")
    result = collect(args.name, out, runs, steps)
    for variant, data in result["variants"].items():
        last = data["points"][-1]
        print(f"{args.name} {variant}: step {last['step']}, {last['seconds']:.0f} s: Frechet "
              f"{last['frechet_distance']:.1f} (raw G {last['raw']['frechet_distance']:.1f})",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
