"""``tinygan.nn``: Module, Parameter and the layers GANs are built from, as ``torch.nn``.

Read ``module.py`` first (how parameters are found, state_dict), then a layer such as
``linear.py``; ``init.py`` holds the initialisation schemes and ``functional.py`` the layers'
functional forms under PyTorch's names (``import tinygan.nn.functional as F``).
"""

from tinygan.nn import functional, init
from tinygan.nn.activation import LeakyReLU, ReLU, Sigmoid, Tanh
from tinygan.nn.batchnorm import BatchNorm1d, BatchNorm2d
from tinygan.nn.container import Sequential
from tinygan.nn.conv import Conv2d, ConvTranspose2d
from tinygan.nn.dropout import Dropout
from tinygan.nn.linear import Embedding, Linear
from tinygan.nn.module import IncompatibleKeys, Module, Parameter, StateDictError
from tinygan.nn.shape import Flatten, Unflatten

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv2d",
    "ConvTranspose2d",
    "Dropout",
    "Embedding",
    "Flatten",
    "IncompatibleKeys",
    "LeakyReLU",
    "Linear",
    "Module",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "StateDictError",
    "Tanh",
    "Unflatten",
    "functional",
    "init",
]
