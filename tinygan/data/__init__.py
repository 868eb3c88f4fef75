"""What a GAN learns from: toy targets, MNIST, and mini-batches.

* ``toy``: ``Gaussian1D`` (the ``gauss1d`` target N(4, 1.25²), with its exact pdf/cdf),
  ``Ring2D`` and ``Grid2D`` (VEEGAN's 8- and 25-mode mixtures, with ``.modes`` and ``.std``).
* ``mnist``: ``load_mnist`` — the four IDX files, found or downloaded, checksummed, decoded.
* ``loader``: ``batches`` / ``infinite_batches`` (seeded mini-batches onto a device) and
  ``validation_split``.

    >>> from tinygan.data import Gaussian1D, load_mnist, batches
"""

from tinygan.data.loader import batches, infinite_batches, validation_split
from tinygan.data.mnist import MIRRORS, MNISTError, load_mnist, mnist_dir
from tinygan.data.toy import Gaussian1D, GaussianMixture2D, Grid2D, Ring2D

__all__ = [
    "MIRRORS",
    "Gaussian1D",
    "GaussianMixture2D",
    "Grid2D",
    "MNISTError",
    "Ring2D",
    "batches",
    "infinite_batches",
    "load_mnist",
    "mnist_dir",
    "validation_split",
]
