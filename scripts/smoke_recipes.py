"""A small measurement of G's moving average (EMA) on gauss1d with a constant learning rate.

gauss1d's G learning rate normally decays to 0, because with a constant rate G and D oscillate
around the target (tinygan/gan/models.py). The EMA changes nothing in training (D's fakes come
from the raw G), so one run gives both curves: every ``--every`` steps, W1 to the target of
10,000 samples from the raw G and from its average, for each beta. Prints one JSON line per
seed with the mean and the max W1 over the second half of the run (where the raw G oscillates).

    OPENBLAS_NUM_THREADS=1 python scripts/smoke_recipes.py --steps 3000 --seeds 0 1 2
    OPENBLAS_NUM_THREADS=1 python scripts/smoke_recipes.py --steps 3000 --g-lr-decay
"""

from __future__ import annotations

import argparse
import json
import time

import numpy

import tinygan
from tinygan.evaluation import metrics
from tinygan.gan import models
from tinygan.gan.recipes import EMA


def run(seed: int, steps: int, every: int, betas: list[float], decay: bool = False) -> dict:
    tinygan.manual_seed(seed)
    setup = models.build("gauss1d", steps=steps, g_lr_decay=decay)
    gan = setup.gan()
    averages = {beta: EMA(gan.generator, beta) for beta in betas}
    curves: dict[str, list[float]] = {"raw": [], **{f"ema {b}": [] for b in betas}}

    def after_step(gan, record) -> None:
        for ema in averages.values():
            ema.update()
        if gan.global_step % every == 0:
            z = gan.noise(10_000, seed=1)
            with tinygan.no_grad():
                curves["raw"].append(metrics.wasserstein1(
                    gan.generator.eval()(z).numpy().reshape(-1), setup.target))
                gan.generator.train()
                for beta, ema in averages.items():
                    curves[f"ema {beta}"].append(metrics.wasserstein1(
                        ema.averaged(z).numpy().reshape(-1), setup.target))

    start = time.perf_counter()
    gan.fit(setup.target, steps, batch_size=setup.batch_size, callbacks=[after_step],
            progress=False)
    half = len(curves["raw"]) // 2
    return {"seed": seed, "steps": steps, "g_lr_decay": decay,
            "seconds": round(time.perf_counter() - start, 1),
            **{name: {"w1_mean_2nd_half": round(float(numpy.mean(c[half:])), 4),
                      "w1_max_2nd_half": round(float(numpy.max(c[half:])), 4),
                      "w1_final": round(c[-1], 4)} for name, c in curves.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--betas", type=float, nargs="+", default=[0.99, 0.999])
    parser.add_argument("--g-lr-decay", action="store_true",
                        help="the set-up's default schedule (G's rate decayed to 0) instead")
    args = parser.parse_args()
    for seed in args.seeds:
        print(json.dumps(run(seed, args.steps, args.every, args.betas, args.g_lr_decay)),
              flush=True)


if __name__ == "__main__":
    main()
