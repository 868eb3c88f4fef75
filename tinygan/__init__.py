"""tinygan: Generative Adversarial Networks from scratch in NumPy, written to be read.

Read the package in this order: ``backend`` (NumPy or CuPy), ``tensor`` (Tensor and the graph
walk), ``function`` (the op base class), ``ops/`` (every primitive), ``gradcheck``,
``functional``.
"""

# isort: off
# tensor first: it defines Tensor, then imports the ops, which import function (and Tensor).
from tinygan.tensor import Tensor
# isort: on
from tinygan import backend, functional, losses, nn, optim
from tinygan.backend import (
    get_default_device,
    get_default_dtype,
    manual_seed,
    set_default_device,
    set_default_dtype,
)
from tinygan.cgan import ConditionalGAN
from tinygan.creation import (
    arange,
    full,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from tinygan.function import Function, enable_grad, is_grad_enabled, no_grad, unbroadcast
from tinygan.gan import GAN, NonFiniteLossError, StepRecord
from tinygan.gradcheck import GradcheckError, gradcheck
from tinygan.ops import (
    abs,
    cat,
    clip,
    concatenate,
    exp,
    log,
    matmul,
    maximum,
    minimum,
    pad,
    sqrt,
    stack,
    where,
)
from tinygan.serialization import load, save

__version__ = "0.1.0"

__all__ = [
    "GAN",
    "ConditionalGAN",
    "NonFiniteLossError",
    "StepRecord",
    "Function",
    "GradcheckError",
    "Tensor",
    "abs",
    "arange",
    "backend",
    "cat",
    "clip",
    "concatenate",
    "enable_grad",
    "exp",
    "full",
    "functional",
    "get_default_device",
    "get_default_dtype",
    "gradcheck",
    "is_grad_enabled",
    "load",
    "log",
    "losses",
    "manual_seed",
    "matmul",
    "maximum",
    "minimum",
    "nn",
    "no_grad",
    "ones",
    "ones_like",
    "optim",
    "pad",
    "rand",
    "randn",
    "save",
    "set_default_device",
    "set_default_dtype",
    "sqrt",
    "stack",
    "tensor",
    "unbroadcast",
    "where",
    "zeros",
    "zeros_like",
]
