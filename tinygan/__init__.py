"""tinygan: Generative Adversarial Networks from scratch in NumPy, written to be read.

The folders are the course, in reading order:

1. ``backend.py``: the one place that picks NumPy or CuPy, devices, the default dtype, the RNG;
2. ``autograd/``: ``Tensor``, the graph walk of ``backward()``, ``Function``, ``gradcheck``;
3. ``ops/``: every differentiable primitive, convolution and im2col included;
4. ``nn/``: ``Module``, the layers, ``init`` and ``functional``;
5. ``optim/``: ``SGD``, ``Adam`` and the learning-rate schedule;
6. ``gan/``: the GAN chapter's Eq. 1-5 (``losses``), Algorithm 1 (``GAN``), the conditional
   GAN, the training loop and the reference set-ups (``models``);
7. ``data/``, ``evaluation/``, ``viz/``: targets and MNIST, metrics and the digit classifier,
   pictures;
8. ``serialization.py`` (checkpoints; ``npz.py``, the bounded reader under ``load``) and
   ``cli/`` (``tinygan train / sample / eval``).

Beside the course: ``utils/`` holds PyTorch's module names (``utils.data.DataLoader``,
``cuda``, ...) for code written as ``import tinygan as torch``, and ``course/`` the checks that
grade the notebooks' exercises. The equations the code cites are written out in
docs/equations.md, the reference set-ups in docs/setups.md.

The short names ``tinygan.losses``, ``tinygan.models``, ``tinygan.metrics`` and
``tinygan.functional`` stand for ``tinygan.gan.losses``, ``tinygan.gan.models``,
``tinygan.evaluation.metrics`` and ``tinygan.nn.functional``.

    >>> import tinygan
    >>> x = tinygan.tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    array([2., 4.], dtype=float32)
"""

import sys as _sys

# isort: off
# autograd first: it defines Tensor, then imports the ops, which import function (and Tensor).
from tinygan import autograd
# isort: on
from tinygan import backend, data, evaluation, gan, nn, ops, optim, utils, viz
from tinygan.autograd import (
    Function,
    GradcheckError,
    Tensor,
    arange,
    enable_grad,
    full,
    gradcheck,
    gradgradcheck,
    is_grad_enabled,
    no_grad,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    unbroadcast,
    zeros,
    zeros_like,
)
from tinygan.backend import (
    get_default_device,
    get_default_dtype,
    manual_seed,
    set_default_device,
    set_default_dtype,
)
from tinygan.evaluation import metrics
from tinygan.gan import (
    GAN,
    ConditionalGAN,
    NonFiniteLossError,
    StepRecord,
    losses,
    models,
)
from tinygan.gan.pretrained import pretrained
from tinygan.nn import functional
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
from tinygan.ops.parallel import get_num_threads, set_num_threads
from tinygan.serialization import load, save
from tinygan.utils import backends, cuda

# PyTorch's top-level names (torch.mean, torch.cat(dim=), torch.device, FloatTensor, ...)
from tinygan.utils.torch_functions import (
    BoolTensor,
    ByteTensor,
    DoubleTensor,
    FloatTensor,
    IntTensor,
    LongTensor,
    argmax,
    bool,
    clamp,
    device,
    double,
    empty,
    eye,
    flatten,
    float,
    float16,
    float32,
    float64,
    from_numpy,
    full_like,
    int,
    int32,
    int64,
    is_tensor,
    linspace,
    long,
    max,
    mean,
    min,
    mm,
    normal,
    numel,
    rand_like,
    randint,
    randn_like,
    randperm,
    reshape,
    sigmoid,
    squeeze,
    std,
    sum,
    tanh,
    transpose,
    uint8,
    unsqueeze,
    var,
)

ops.kernels.keep_freed_memory()  # reuse freed memory for the next arrays (see ops/kernels/)

# ``import tinygan.losses`` (and the three others) reach the module in its lesson's folder.
for _short, _module in {"losses": losses, "models": models, "metrics": metrics,
                        "functional": functional}.items():
    _sys.modules[f"{__name__}.{_short}"] = _module
# ``import tinygan.cuda`` and ``import tinygan.backends.cudnn``, as torch's, reach tinygan/utils.
for _short, _module in {"cuda": cuda, "backends": backends,
                        "backends.cudnn": backends.cudnn}.items():
    _sys.modules[f"{__name__}.{_short}"] = _module

__version__ = "0.1.0"

__all__ = [
    "GAN",
    "BoolTensor",
    "ByteTensor",
    "ConditionalGAN",
    "DoubleTensor",
    "FloatTensor",
    "Function",
    "GradcheckError",
    "IntTensor",
    "LongTensor",
    "NonFiniteLossError",
    "StepRecord",
    "Tensor",
    "abs",
    "arange",
    "argmax",
    "autograd",
    "backend",
    "backends",
    "bool",
    "cat",
    "clamp",
    "clip",
    "concatenate",
    "cuda",
    "data",
    "device",
    "double",
    "empty",
    "enable_grad",
    "evaluation",
    "exp",
    "eye",
    "flatten",
    "float",
    "float16",
    "float32",
    "float64",
    "from_numpy",
    "full",
    "full_like",
    "functional",
    "gan",
    "get_default_device",
    "get_default_dtype",
    "gradcheck",
    "gradgradcheck",
    "int",
    "int32",
    "int64",
    "is_grad_enabled",
    "is_tensor",
    "linspace",
    "load",
    "log",
    "long",
    "losses",
    "manual_seed",
    "matmul",
    "max",
    "maximum",
    "mean",
    "metrics",
    "min",
    "minimum",
    "mm",
    "models",
    "nn",
    "no_grad",
    "normal",
    "numel",
    "ones",
    "ones_like",
    "ops",
    "optim",
    "pad",
    "pretrained",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "randperm",
    "reshape",
    "save",
    "set_default_device",
    "set_default_dtype",
    "sigmoid",
    "sqrt",
    "squeeze",
    "stack",
    "std",
    "sum",
    "tanh",
    "tensor",
    "transpose",
    "uint8",
    "unbroadcast",
    "unsqueeze",
    "utils",
    "var",
    "viz",
    "where",
    "zeros",
    "zeros_like",
    "get_num_threads",
    "set_num_threads",
]
