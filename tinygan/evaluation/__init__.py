"""Judging a generator: distances to the target, mode coverage, Parzen, a digit classifier.

* ``metrics.py``: W1 and KS in 1-D, VEEGAN's mode metrics in 2-D, the Fréchet distance, and
  the Parzen-window log-likelihood of ``parzen.py``; ``arrays.py``: inputs as host arrays;
* ``classifier.py``: tinygan's own MNIST classifier (weights shipped) and its score;
* ``report.py``: ``evaluate`` and ``draw_samples``, what ``tinygan eval`` and ``train`` report;
* ``track.py``: ``QualityTrack``, those numbers measured during training against wall time
  (``tinygan train --track-every``);
* ``nearest.py``: the distance of samples to their nearest training image (are they copies?).
"""

from tinygan.evaluation import classifier, metrics
from tinygan.evaluation.report import draw_samples, evaluate

__all__ = ["classifier", "draw_samples", "evaluate", "metrics"]
