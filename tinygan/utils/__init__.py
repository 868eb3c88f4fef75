"""PyTorch's module names that GAN code imports, for ``import tinygan as torch``.

* ``data``: ``Dataset``, ``TensorDataset``, ``DataLoader`` (``torch.utils.data``), on the
  package's own loader (``tinygan.data.loader``);
* ``cuda``: ``is_available()`` and friends (``tinygan.cuda``);
* ``backends``: ``backends.cudnn``'s switches (``tinygan.backends.cudnn``), which change nothing;
* ``torch_functions``: ``torch.mean``, ``torch.cat(dim=)``, ``torch.device``, the dtypes,
  ``FloatTensor``... at the top of the package;
* ``torch_interop``: reading PyTorch ``.pt``/``.pth`` state dicts, writing ones torch loads.

What differs from PyTorch, and why, is one table in the README.
"""

from tinygan.utils import backends, cuda, data, torch_functions, torch_interop

__all__ = ["backends", "cuda", "data", "torch_functions", "torch_interop"]
