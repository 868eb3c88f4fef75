"""Sample quality over training: the curve of a metric against the training's wall time.

``QualityTrack`` is a callback for ``GAN.fit`` (``tinygan train --track-every N`` uses it): every
``every`` steps it draws ``n`` samples from a fixed noise (seed ``TRACK_SEED``, which leaves the
training's random numbers alone, so tracking changes nothing of the run) and keeps one point::

    {"step": 2000, "seconds": 41.3, "frechet_distance": 61.2, "mean_confidence": 0.91, ...}

``seconds`` is the training's wall time up to that step *without* the time the track itself
took, so a curve drawn with tracking is the curve of the same run without it. Each point has the
set-up's headline numbers (``summary``): for MNIST the digit classifier's Fréchet distance,
mean confidence, digits covered and the rarest and commonest digit as a multiple of its fair
share; W1 in 1-D; modes and high-quality share in 2-D. When G has a moving average (``ema``),
the point is the average's, and ``point["raw"]`` holds the same numbers for the raw G at the
same moment: one run gives the curve with and without the average (the average does not
change training).

>>> import tinygan
>>> tinygan.manual_seed(0)
>>> setup = tinygan.models.build("gauss1d")
>>> gan = setup.gan()
>>> track = QualityTrack(setup, gan, every=10, n=2000)
>>> history = gan.fit(setup.target, 20, batch_size=64, callbacks=[track], progress=False)
>>> [p["step"] for p in track.points], sorted(track.points[-1])
([10, 20], ['seconds', 'step', 'w1'])

2,000 samples make the Fréchet distance noisier and larger than the 10,000 of ``evaluate``
(the estimate is biased upwards for small samples), so compare points of one track, or tracks
with the same ``n``, not a track's point with a final evaluation.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tinygan.evaluation.report import evaluate
from tinygan.gan.recipes import raw_generator

__all__ = ["TRACK_SEED", "QualityTrack", "summary"]

TRACK_SEED = 1


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """The headline numbers of an ``evaluate`` result, as floats and ints (JSON-ready)."""
    if "w1" in result:
        return {"w1": round(float(result["w1"]), 5)}
    if "modes_captured" in result:
        return {"modes_captured": int(result["modes_captured"]),
                "modes_fair_share": int(result["modes_fair_share"]),
                "high_quality_percent": round(float(result["high_quality_percent"]), 2)}
    c = result["classifier"]
    counts = c["class_counts"]
    fair = sum(counts) / len(counts)
    return {"frechet_distance": round(float(c["frechet_distance"]), 3),
            "mean_confidence": round(float(c["mean_confidence"]), 4),
            "classes_covered": int(c["classes_covered"]),
            "min_of_fair_share": round(min(counts) / fair, 3),
            "max_of_fair_share": round(max(counts) / fair, 3)}


class QualityTrack:
    """Measure ``setup``'s headline metrics of ``gan`` every ``every`` steps (a ``fit``
    callback); ``points`` (given: a resumed run's) is the list it appends to.

    ``clock()`` is the training's wall time so far (default: seconds since the track was
    made); the time spent measuring (``spent``, which starts at ``spent``: a resumed run's)
    is subtracted from it in each point's ``seconds``.
    """

    def __init__(self, setup: Any, gan: Any, every: int, n: int = 2000,
                 points: list[dict[str, Any]] | None = None,
                 clock: Callable[[], float] | None = None, spent: float = 0.0) -> None:
        if not isinstance(every, int) or isinstance(every, bool) or every < 1:
            raise ValueError(f"QualityTrack: every must be a whole number of steps >= 1, "
                             f"got {every!r}")
        if not isinstance(n, int) or isinstance(n, bool) or n < 2:
            raise ValueError(f"QualityTrack: n must be a whole number of samples >= 2, got {n!r}")
        self.setup, self.gan, self.every, self.n = setup, gan, every, n
        self.points = [] if points is None else points
        start = time.perf_counter()
        self.clock = clock or (lambda: time.perf_counter() - start)
        self.spent = float(spent)

    def __call__(self, gan: Any, record: Any = None) -> None:
        if gan.global_step % self.every == 0:
            self.measure()

    def measure(self) -> dict[str, Any]:
        """Measure now (at ``gan.global_step``), append the point and return it; a point of
        this step already in ``points`` (a resumed run) is replaced."""
        began = time.perf_counter()
        gan = self.gan
        seconds = self.clock() - self.spent
        point = {"step": int(gan.global_step), "seconds": round(seconds, 2),
                 **summary(evaluate(self.setup, gan, self.n, seed=TRACK_SEED, parzen=False))}
        if getattr(gan, "ema", None) is not None:
            with raw_generator(gan):
                point["raw"] = summary(evaluate(self.setup, gan, self.n, seed=TRACK_SEED,
                                                parzen=False))
        self.points[:] = [p for p in self.points if p["step"] < point["step"]]
        self.points.append(point)
        self.spent += time.perf_counter() - began
        return point
