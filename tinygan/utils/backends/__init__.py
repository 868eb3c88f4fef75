"""``tinygan.backends``: PyTorch's ``torch.backends``, so that ``torch.backends.cudnn`` code runs.

tinygan's backends are NumPy and CuPy (``tinygan.backend``, one module); there is no cuDNN to
tune. ``cudnn`` holds its switches as plain attributes that change nothing.
"""

from tinygan.utils.backends import cudnn

__all__ = ["cudnn"]
