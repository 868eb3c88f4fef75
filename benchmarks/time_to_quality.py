"""Time to quality: how long the default training of a reference set-up takes to reach its result.

    python benchmarks/time_to_quality.py gauss1d ring2d            # writes ttq_<setup>.json
    nice -n 10 python benchmarks/time_to_quality.py dcgan-mnist    # long: run it in background

Each set-up is trained exactly as ``tinygan train SETUP`` trains it (seed 0, the set-up's default
steps, batch size and optimisers, the same data stream), in this process, and every ``--every``
steps the set-up's metric is taken on samples from a separate seed (which leaves training alone):
gauss1d's W1 to N(4, 1.25²) (goal < 0.1), ring2d's VEEGAN modes captured (goal 8/8), the MNIST
set-ups' classifier score. Training seconds (wall clock, and the process's CPU time, which a busy
machine inflates less) exclude the evaluations. Reported: the first step
and training time at which the goal was met, the time of the whole default run, and the final
metric. The goal can be met once by chance while training still oscillates, so the table also
gives the first evaluation after which it held at every later one. ``--rewrite`` collects every
ttq_*.json into the README's time-to-quality table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import common  # noqa: E402

import tinygan  # noqa: E402
from tinygan import models  # noqa: E402
from tinygan.evaluation import evaluate  # noqa: E402

GOALS = {
    "gauss1d": ("W1 < 0.1", lambda r: r["w1"] < 0.1, lambda r: f"W1 {r['w1']:.3f}"),
    "ring2d": ("8/8 modes", lambda r: r["modes_captured"] >= 8,
               lambda r: f"{r['modes_captured']}/8 modes, {r['high_quality_percent']:.0f}% HQ"),
    "grid2d": ("25/25 modes", lambda r: r["modes_captured"] >= 25,
               lambda r: f"{r['modes_captured']}/25 modes, {r['high_quality_percent']:.0f}% HQ"),
}
EVERY = {"gauss1d": 100, "ring2d": 250, "grid2d": 500, "mlp-mnist": 1000, "dcgan-mnist": 500}


def _mnist_goal(r: dict[str, Any]) -> bool:
    c = r.get("classifier") or {}
    return c.get("classes_covered", 0) >= 10


def _mnist_text(r: dict[str, Any]) -> str:
    c = r.get("classifier") or {}
    keys = [k for k in ("classes_covered", "mean_confidence", "frechet_distance") if k in c]
    return ", ".join(f"{k} {c[k]:.3g}" if isinstance(c[k], float) else f"{k} {c[k]}"
                     for k in keys) or "no classifier"


def data_for(setup: models.Setup, gan: Any, data_dir: str | None, seed: int) -> Any:
    """The same real data ``tinygan train`` uses."""
    if setup.data == "toy":
        return setup.target
    from tinygan.data import infinite_batches, load_mnist  # noqa: PLC0415

    images, labels = load_mnist(data_dir, "train")
    data = (images, labels) if setup.num_classes is not None else images
    return infinite_batches(data, setup.batch_size, seed=seed, device=gan.device)


def run(name: str, every: int | None, steps: int | None, data_dir: str | None) -> dict[str, Any]:
    seed = 0
    tinygan.manual_seed(seed)
    setup = models.build(name, **({"steps": steps} if steps else {}))
    gan = setup.gan()
    data = data_for(setup, gan, data_dir, seed)
    every = every or EVERY.get(name, 500)
    label, ok, text = GOALS.get(name, ("10/10 digits (classifier)", _mnist_goal, _mnist_text))
    trained, cpu, first, curve = 0.0, 0.0, None, []
    while gan.global_step < setup.steps:
        n = min(every, setup.steps - gan.global_step)
        t0, c0 = time.perf_counter(), time.process_time()
        gan.fit(data, n, batch_size=setup.batch_size, progress=False)
        trained += time.perf_counter() - t0
        cpu += time.process_time() - c0
        result = evaluate(setup, gan, data_dir=data_dir, parzen=False)
        point = {"step": gan.global_step, "seconds": round(trained, 2),
                 "cpu_seconds": round(cpu, 2), "metric": text(result), "goal_met": bool(ok(result))}
        curve.append(point)
        print(f"{name} step {gan.global_step}: {trained:.1f} s ({cpu:.1f} s CPU), {text(result)}",
              flush=True)
        if first is None and ok(result):
            first = point
    held = None  # the first evaluation from which the goal held at every later one
    for point in reversed(curve):
        if not point["goal_met"]:
            break
        held = point
    return {"setup": name, "goal": label, "first": first, "held": held, "steps": setup.steps,
            "batch_size": setup.batch_size, "total_seconds": round(trained, 2),
            "total_cpu_seconds": round(cpu, 2),
            "final": text(result), "curve": curve, "machine": common.machine_info()}


def rewrite_readme(folder: Path, readme: Path) -> None:
    rows = []
    for path in sorted(folder.glob("ttq_*.json")):
        r = json.loads(path.read_text())
        def when(point: dict[str, Any] | None) -> str:
            if not point:
                return "not reached"
            return (f"step {point['step']}: {point['seconds']:.0f} s "
                    f"({point['cpu_seconds']:.0f} s CPU)")

        first, held = when(r["first"]), when(r.get("held"))
        m = r["machine"]
        total = (f"{r['steps']} steps: {r['total_seconds']:.0f} s "
                 f"({r['total_cpu_seconds']:.0f} s CPU)")
        rows.append([r["setup"], r["goal"], first, f"**{held}**", total, r["final"],
                     f"{m['date']}, load {m['load_start']}"])
    body = common.table(["set-up", "goal", "first met (training time)",
                         "met from then on", "default run (training time)", "at the end",
                         "measured"], rows) + "\n"
    import run as bench_run  # noqa: PLC0415

    bench_run.write_readme(readme, body, "time-to-quality")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("setups", nargs="*", default=["gauss1d", "ring2d"])
    parser.add_argument("--every", type=int, default=None, help="steps between evaluations")
    parser.add_argument("--steps", type=int, default=None, help="override the default steps")
    parser.add_argument("--data", default=None, help="MNIST folder")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--rewrite", action="store_true", help="only rewrite the README table")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.rewrite:
        for name in args.setups:
            result = run(name, args.every, args.steps, args.data)
            (args.out / f"ttq_{name}.json").write_text(json.dumps(result, indent=1))
    rewrite_readme(args.out, HERE / "README.md")


if __name__ == "__main__":
    main()
