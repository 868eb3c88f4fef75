"""Lesson 1, last part: the optimizers, as ``torch.optim``.

* ``optimizer.py``: ``Optimizer``, what every rule shares (parameter groups, ``step``,
  ``state_dict``);
* ``optimizers.py``: ``SGD`` and ``Adam``, each update rule in its docstring;
* ``rmsprop.py``: ``RMSprop`` (the original WGAN's optimizer);
* ``lr_scheduler.py``: ``LinearLR`` (gauss1d's decay of G's rate) and ``LambdaLR`` (a factor
  given as a function of the step), as ``torch.optim.lr_scheduler``.
"""

from tinygan.optim import lr_scheduler
from tinygan.optim.optimizer import Optimizer
from tinygan.optim.optimizers import SGD, Adam
from tinygan.optim.rmsprop import RMSprop

__all__ = ["SGD", "Adam", "Optimizer", "RMSprop", "lr_scheduler"]
