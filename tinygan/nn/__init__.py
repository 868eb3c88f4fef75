"""``tinygan.nn``: Module, Parameter and the layers GANs are built from, as ``torch.nn``.

Read ``module.py`` first (how parameters are found, state_dict), with ``parameter.py``
(``Parameter``) and ``state_dict.py`` (matching a state dict's keys and shapes) beside it, then a
layer such as ``linear.py``; ``init.py`` holds the initialisation schemes and ``functional.py``
the layers' functional forms under PyTorch's names (``import tinygan.nn.functional as F``).
"""

from tinygan.nn import functional, init
from tinygan.nn.activation import LeakyReLU, ReLU, Sigmoid, Tanh
from tinygan.nn.batchnorm import BatchNorm1d, BatchNorm2d
from tinygan.nn.container import Sequential
from tinygan.nn.conv import Conv2d, ConvTranspose2d
from tinygan.nn.dropout import Dropout
from tinygan.nn.layernorm import LayerNorm
from tinygan.nn.linear import Embedding, Linear
from tinygan.nn.module import IncompatibleKeys, Module, Parameter, StateDictError
from tinygan.nn.shape import Flatten, Unflatten

# isort: split
# PyTorch's other layers that GAN code uses (losses, pooling, upsampling, padding, ...)
from tinygan.nn import parallel
from tinygan.nn.channelwise import Dropout2d, InstanceNorm2d, PReLU
from tinygan.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
)
from tinygan.nn.module_list import ModuleList
from tinygan.nn.padding import ConstantPad2d, ReflectionPad2d, ReplicationPad2d, ZeroPad2d
from tinygan.nn.parallel import DataParallel
from tinygan.nn.pixel_shuffle import PixelShuffle, PixelUnshuffle
from tinygan.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from tinygan.nn.upsample import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

__all__ = [
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "ConstantPad2d",
    "Conv2d",
    "ConvTranspose2d",
    "CrossEntropyLoss",
    "DataParallel",
    "Dropout",
    "Dropout2d",
    "Embedding",
    "Flatten",
    "IncompatibleKeys",
    "LayerNorm",
    "InstanceNorm2d",
    "L1Loss",
    "LeakyReLU",
    "Linear",
    "MSELoss",
    "MaxPool2d",
    "Module",
    "ModuleList",
    "NLLLoss",
    "PReLU",
    "Parameter",
    "PixelShuffle",
    "PixelUnshuffle",
    "ReLU",
    "ReflectionPad2d",
    "ReplicationPad2d",
    "Sequential",
    "Sigmoid",
    "StateDictError",
    "Tanh",
    "Unflatten",
    "Upsample",
    "UpsamplingBilinear2d",
    "UpsamplingNearest2d",
    "ZeroPad2d",
    "functional",
    "init",
    "parallel",
]
