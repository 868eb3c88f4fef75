"""``tinygan.backends.cudnn``: cuDNN's switches, kept so that PyTorch code runs; they do nothing.

``cudnn.benchmark = True`` asks PyTorch to time convolution algorithms and keep the fastest;
tinygan has one convolution (im2col and a matrix product, ``tinygan/ops/conv.py``), the same
numbers on every run, so ``deterministic`` is always true in effect.

    >>> import tinygan.backends.cudnn as cudnn
    >>> cudnn.benchmark = True
"""

benchmark = False
deterministic = False
enabled = True


def is_available() -> bool:
    """False: tinygan does not call cuDNN."""
    return False
