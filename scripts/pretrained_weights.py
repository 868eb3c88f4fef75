"""Train the generators ``tinygan.pretrained`` ships, and measure them.

    python scripts/pretrained_weights.py dcgan-mnist          # train (or continue), write, measure
    python scripts/pretrained_weights.py all                  # mlp-mnist, dcgan-mnist, cgan-mnist
    python scripts/pretrained_weights.py mlp-mnist --steps 30 --out /tmp/w     # a quick try

(``python scripts/make_notebook_weights.py 04`` / ``05`` run the same functions.)

Each is trained by the command line, ``tinygan train NAME --steps STEPS --seed 0 [recipes]
--track-every N --out runs/pretrained/NAME``: the set-up's own architecture, optimiser and
batch; ``PRETRAINED_RUNS`` gives the steps and the recipes (``tinygan/gan/recipes.py``) of each.
A run stopped half way continues with ``--resume`` from its last checkpoint (running this script
again does that) and ends, bit for bit, where an uninterrupted run would. The generator, or its
moving average where the run keeps one (``--ema``: that is what the run samples from), is then
taken out of the checkpoint and written (float32, G only) to ``tinygan/weights/NAME-generator.npz``;
``NAME-generator.json`` beside it holds what was measured on the file as loaded back:

* the digit classifier on 10,000 samples: Fréchet distance, digits covered, class balance, mean
  confidence; for the conditional GAN the share read as the requested digit;
* Goodfellow et al.'s Parzen window (sigma chosen on the last 10,000 training images);
* the samples' nearest-neighbour distance to the 60,000 training images beside the test
  images' (``tinygan.evaluation.nearest``: copies of training images would be much nearer);
* the training: steps, recipes, wall time, the load average of the machine while it trained (a
  shared machine's wall time depends on it), and the quality track of ``--track-every`` (the
  Fréchet distance of 2,000 samples against the training's wall time, the raw G's beside the
  average's) from which the lessons draw their curves.

MNIST comes from $TINYGAN_DATA, else tinygan's cache. With ``--steps`` (a quick try) the runs go
under OUT/runs and the measurement uses 500 samples and no Parzen window.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy

import tinygan
from tinygan.data import load_mnist
from tinygan.evaluation.classifier import predict
from tinygan.evaluation.nearest import nearest_neighbour_report
from tinygan.evaluation.report import SAMPLE_SEED, evaluate
from tinygan.gan.pretrained import WEIGHTS_FORMAT, metrics_path, pretrained_setup, weights_path

WEIGHTS = Path(tinygan.__file__).resolve().parent / "weights"
ROOT = Path(__file__).resolve().parent.parent

PRETRAINED_RUNS: dict[str, dict[str, Any]] = {
    # steps, the recipe flags of tinygan train, and how often the quality track measures
    "mlp-mnist": {"steps": 60_000, "flags": ["--ema", "0.999", "--pack", "2", "--r1", "1"],
                  "track_every": 2_000},
    "cgan-mnist": {"steps": 30_000, "flags": ["--ema", "0.999"], "track_every": 2_000},
    "dcgan-mnist": {"steps": 30_000, "flags": ["--ema", "0.999", "--pack", "2", "--r1", "1"],
                    "track_every": 2_000},
}


def train_cli(name: str, steps: int, run_dir: Path, seed: int, flags: list[str],
              track_every: int) -> dict[str, Any]:
    """Run (or continue) ``tinygan train name`` to ``steps`` steps in ``run_dir``; returns this
    invocation's record: the steps, the training's wall seconds (the command's own measure, in
    its metrics.json), the command's with its final evaluation, the load averages before and
    after (1, 5 and 15 minutes)."""
    ckpt = run_dir / "checkpoint.npz"
    state = tinygan.load(ckpt) if ckpt.is_file() else {"step": 0, "run": {}}
    done, previous = int(state["step"]), float(state["run"].get("train_seconds", 0.0))
    if done >= steps:
        print(f"{name}: {ckpt} is already at step {done}; not training", flush=True)
        return {"from_step": done, "to_step": done}
    command = [sys.executable, "-m", "tinygan", "train", name, "--steps", str(steps), "--seed",
               str(seed), *flags, "--track-every", str(min(track_every, steps)), "--out",
               str(run_dir), "--quiet"]
    if done:
        command.append("--resume")
    print(f"{name}: tinygan {' '.join(command[3:])}", flush=True)
    load_before = os.getloadavg()
    start = time.perf_counter()
    subprocess.run(command, check=True)
    seconds = time.perf_counter() - start
    trained = json.loads((run_dir / "metrics.json").read_text())["train_seconds"]
    return {"from_step": done, "to_step": steps, "wall_seconds": round(trained - previous, 1),
            "command_seconds": round(seconds, 1),
            "load_average_before": [round(v, 2) for v in load_before],
            "load_average_after": [round(v, 2) for v in os.getloadavg()],
            "finished": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def class_balance(counts: list[int]) -> dict[str, float]:
    """How evenly samples spread over the 10 digits: the KL divergence of the class histogram
    to the uniform one, and the rarest and commonest digit as a multiple of the fair share."""
    share = numpy.asarray(counts, dtype=numpy.float64) / max(1, sum(counts))
    nonzero = share[share > 0]
    return {"kl_to_uniform": round(float(numpy.sum(nonzero * numpy.log(10 * nonzero))), 4),
            "min_of_fair_share": round(float(10 * share.min()), 3),
            "max_of_fair_share": round(float(10 * share.max()), 3)}


def measure_pretrained(name: str, folder: Path, n: int, parzen: bool) -> dict[str, Any]:
    """The metrics of the written weights, loaded back through tinygan.pretrained's loader."""
    setup = pretrained_setup(name, device="cpu", folder=folder)
    gan = setup.gan()
    result = evaluate(setup, gan, n, parzen=parzen)
    result.pop("step", None)
    result["sample_seed"] = SAMPLE_SEED
    result["class_balance"] = class_balance(result["classifier"]["class_counts"])
    if setup.num_classes is not None:
        asked = numpy.arange(n) % setup.num_classes
        samples = gan.sample(n, labels=asked, seed=SAMPLE_SEED)
        probs, _ = predict(samples.numpy())
        result["read_as_requested"] = round(float(numpy.mean(probs.argmax(1) == asked)), 4)
        result["mean_probability_of_requested"] = round(
            float(probs[numpy.arange(n), asked].mean()), 4)
    else:
        samples = gan.sample(n, seed=SAMPLE_SEED)
    train, _ = load_mnist(None, "train", scale=(0.0, 1.0), flatten=True)
    test, _ = load_mnist(None, "test", scale=(0.0, 1.0), flatten=True)
    result["nearest_neighbour"] = nearest_neighbour_report(
        (samples.numpy().reshape(n, -1) + 1.0) / 2.0, train, test[:n])
    return result


def _generator_weights(state: dict[str, Any]) -> dict[str, numpy.ndarray]:
    """What the run samples from: G's moving average if it kept one (``--ema``), else G."""
    weights = state["ema"]["averaged"] if state.get("ema") else state["generator"]
    return {k: numpy.asarray(v, dtype=numpy.float32) for k, v in weights.items()}


def make_pretrained(name: str, out: Path, steps: int | None, seed: int) -> dict[str, Any]:
    """Train ``name`` (``PRETRAINED_RUNS``' steps unless ``steps``), write NAME-generator.npz and
    NAME-generator.json into ``out``; returns the metrics."""
    quick = steps is not None
    spec = PRETRAINED_RUNS[name]
    steps = steps or spec["steps"]
    runs = out / "runs" if quick or out.resolve() != WEIGHTS else ROOT / "runs" / "pretrained"
    run_dir = runs / name
    run_dir.mkdir(parents=True, exist_ok=True)
    log_path = run_dir / "training_log.json"
    log = json.loads(log_path.read_text()) if log_path.is_file() else []
    record = train_cli(name, steps, run_dir, seed, spec["flags"], spec["track_every"])
    if record["to_step"] > record["from_step"]:
        log.append(record)
        log_path.write_text(json.dumps(log, indent=1) + "\n")

    state = tinygan.load(run_dir / "checkpoint.npz")
    run = state["run"]
    recipes = {k: run.get(k) for k in ("pack", "ema", "label_smoothing", "r1", "g_lr", "d_lr",
                                        "lr_decay")
               if run.get(k) is not None and not (k == "pack" and run[k] == 1)}
    flags = "".join(f" --{k.replace('_', '-')} {v:g}" for k, v in recipes.items())
    training = {"setup": name, "steps": int(state["step"]), "seed": int(run["seed"]),
                "batch_size": int(run["batch_size"]), "k": int(run["k"]),
                "generator_loss": run["generator_loss"], "recipes": recipes,
                "weights_of": "the moving average of G" if state.get("ema") else "G",
                "command": f"tinygan train {name} --steps {state['step']} --seed "
                           f"{run['seed']}{flags}",
                "tinygan_version": tinygan.__version__}
    path = weights_path(name, out)
    tinygan.save({"format": WEIGHTS_FORMAT, "setup": name, "state_dict": _generator_weights(state),
                  "training": training}, path)
    training["epochs"] = round(training["steps"] * training["batch_size"] / 60_000, 2)
    training["wall_seconds"] = round(sum(r["wall_seconds"] for r in log), 1)
    training["runs"] = log
    training["machine"] = (f"{platform.machine()}, {os.cpu_count()} cores, "
                           f"{platform.python_implementation()} {platform.python_version()}, "
                           f"numpy {numpy.__version__}")
    training["track"] = run.get("track", [])
    start = time.perf_counter()
    evaluation = measure_pretrained(name, out, 500 if quick else 10_000, parzen=not quick)
    evaluation["seconds"] = round(time.perf_counter() - start, 1)
    metrics = {"setup": name, "weights": path.name, "weights_bytes": path.stat().st_size,
               "training": training, "evaluation": evaluation}
    metrics_path(name, out).write_text(json.dumps(metrics, indent=1) + "\n")
    c = evaluation["classifier"]
    print(f"{name}: wrote {path} ({path.stat().st_size / 1e6:.1f} MB), {training['steps']} "
          f"steps: {c['classes_covered']}/10 digits, Frechet {c['frechet_distance']:.1f}, "
          f"{evaluation['class_balance']}", flush=True)
    return metrics


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("name", choices=[*PRETRAINED_RUNS, "all"], help="which generator")
    p.add_argument("--out", default=str(WEIGHTS), help="folder to write (tinygan/weights)")
    p.add_argument("--steps", type=int, default=None,
                   help="train this many steps instead of the run's own (for a quick try)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    out = Path(args.out)
    if not out.is_dir():
        print(f"pretrained_weights: folder {out} does not exist", file=sys.stderr)
        return 2
    if args.steps is not None and args.steps < 1:
        print(f"pretrained_weights: --steps must be at least 1, got {args.steps}",
              file=sys.stderr)
        return 2
    for name in PRETRAINED_RUNS if args.name == "all" else [args.name]:
        make_pretrained(name, out, args.steps, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
