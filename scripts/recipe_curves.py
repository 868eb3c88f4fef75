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
* ``ttur``: two time-scale learning rates, G 1e-4 and D 4e-4 (Heusel et al. 2017);
* ``pack-2-r1``: ``pack-2`` with the R1 penalty on D, gamma 1 (``--r1 1``; Mescheder et al.
  2018), to be read against ``pack-2``.

The seconds a run records depend on what else the machine was doing; ``--step-costs`` times a
step of each variant in one process (run it on an idle machine), and the collected file gives
that cost beside each curve (``seconds_per_step_idle``), so steps convert to the wall time of
an idle machine.

Runs go to ``runs/curves/SETUP/VARIANT`` and continue with ``--resume`` when the script is run
again; a run folder trained further with the same settings gives its points up to the curve's
steps (no set-up here has a schedule that depends on the run's length). Then every variant's
points are collected into ``tinygan/weights/curves-SETUP.json`` (package data: the lesson on
recipes, notebook 09, draws its curves from it), with each run's command and the load average
it ran under.
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
    "pack-2-r1": [*EMA, "--pack", "2", "--r1", "1"],
}
CURVES: dict[str, dict[str, int]] = {  # steps of each run, steps between track points
    "mlp-mnist": {"steps": 20_000, "track_every": 2_000},
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


def _options(flags: list[str]) -> dict[str, float]:
    """``["--ema", "0.999", "--pack", "2"]`` as keyword values: ``{"ema": 0.999, "pack": 2}``."""
    pairs = zip(flags[::2], flags[1::2])
    return {flag[2:].replace("-", "_"): (int(v) if flag == "--pack" else float(v))
            for flag, v in pairs}


def step_cost(name: str, variant: str, steps: int = 200, repeats: int = 3) -> float:
    """Seconds per training step of ``variant`` (the median of ``repeats`` timings of ``steps``
    steps, after 20 to warm up), in this process with its BLAS threads: the cost that turns a
    curve's steps into the wall time of a machine doing nothing else."""
    from tinygan import models  # noqa: PLC0415
    from tinygan.data import infinite_batches, load_mnist  # noqa: PLC0415
    from tinygan.gan import recipes  # noqa: PLC0415

    options = _options(VARIANTS[variant])
    tinygan.manual_seed(0)
    setup = models.build(name, pack=int(options.get("pack", 1)))
    recipes.set_learning_rates(setup, options.get("g_lr"), options.get("d_lr"))
    gan = recipes.with_recipes(setup.gan(), options.get("ema"), options.get("label_smoothing", 0),
                               options.get("r1", 0))
    images, _ = load_mnist(None, "train")
    data = infinite_batches(images, setup.batch_size, seed=0)
    gan.fit(data, 20, batch_size=setup.batch_size, progress=False)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        gan.fit(data, steps, batch_size=setup.batch_size, progress=False)
        times.append((time.perf_counter() - start) / steps)
    return sorted(times)[len(times) // 2]


def write_step_costs(path: Path, costs: dict[str, float], load: tuple[float, ...]) -> None:
    """Add ``costs`` (seconds per step of some variants, timed now) to the file at ``path``:
    variants timed earlier keep their cost, and each timing keeps its own load averages."""
    old = json.loads(path.read_text()) if path.is_file() else {"seconds_per_step": {}}
    timings = old.get("timings") or ([{  # a file written before timings were listed
        "variants": list(old["seconds_per_step"]), **{k: old[k] for k in (
            "load_average_before", "load_average_after", "blas_threads") if k in old}}]
        if old["seconds_per_step"] else [])
    timings.append({"variants": list(costs), "load_average_before": [round(x, 2) for x in load],
                    "load_average_after": [round(x, 2) for x in os.getloadavg()],
                    "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
                    "finished": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())})
    path.write_text(json.dumps({"seconds_per_step": {**old["seconds_per_step"], **costs},
                                "timings": timings}, indent=1) + "\n")


def collect(name: str, out: Path, runs: Path, steps: int) -> dict[str, Any]:
    """Every variant's track in one file, ``curves-NAME.json`` in ``out``."""
    variants = {}
    for variant in VARIANTS:
        track = runs / variant / "track.json"
        if track.is_file():
            data = json.loads(track.read_text())
            log = runs / variant / "curve_log.json"
            reached = min(steps, data["points"][-1]["step"])
            variants[variant] = {
                "complete": reached == steps,  # False: the run was stopped at step `reached`
                "command": f"tinygan train {name} --steps {steps} --seed {data['run']['seed']} "
                           + " ".join(VARIANTS[variant]),
                "points": [p for p in data["points"] if p["step"] <= steps],
                "runs": json.loads(log.read_text()) if log.is_file() else []}
    costs = runs / "step_costs.json"
    if costs.is_file():
        for variant, cost in json.loads(costs.read_text())["seconds_per_step"].items():
            if variant in variants:
                variants[variant]["seconds_per_step_idle"] = cost
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
    p.add_argument("--step-costs", action="store_true", help="train nothing; time a step of "
                   "each variant (run it on an idle machine) into RUNS/step_costs.json")
    p.add_argument("--cost-steps", type=int, default=200, help="steps per timing (200)")
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
    if args.step_costs:
        load = os.getloadavg()
        costs = {v: round(step_cost(args.name, v, steps=args.cost_steps), 5)
                 for v in args.variants}
        runs.mkdir(parents=True, exist_ok=True)
        write_step_costs(runs / "step_costs.json", costs, load)
        print(f"{args.name}: seconds per step {costs}", flush=True)
    for variant in [] if args.collect_only or args.step_costs else args.variants:
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
