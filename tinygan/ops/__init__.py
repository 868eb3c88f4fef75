"""Every differentiable primitive, one small ``Function`` class each, grouped by kind:

- ``arithmetic``: add, sub, mul, div, neg, pow
- ``elementwise``: exp, log, sqrt, abs, clip, maximum, minimum, where, comparisons, casts
- ``reduce``: sum, mean, var, max, min
- ``shape``: reshape, transpose/permute, getitem, concatenate, stack, pad
- ``linalg``: matmul
- ``activation``: relu, leaky_relu, tanh, sigmoid, softplus, log_sigmoid
- ``loss``: binary_cross_entropy_with_logits
- ``nn_ops``: linear, dropout, embedding; ``conv``: conv2d, conv_transpose2d;
  ``normalization``: batch_norm, layer_norm (the ops behind the layers of ``tinygan.nn``)
- what PyTorch GAN code also calls: ``expand`` (expand, repeat), ``crossentropy`` (BCE on
  probabilities, cross-entropy, log_softmax, MSE, L1), ``pooling`` (max/avg pooling),
  ``resample`` (interpolate, reflection/replication padding), ``channelwise`` (instance_norm,
  prelu, dropout2d); apart from ``Expand`` and ``BinaryCrossEntropy`` they are compositions of
  the ops above, so their gradients are those ops' gradients

Each op's public function checks its inputs once, with the helpers of ``checks.py``, then calls
its ``Function``. The speed tricks live in ``kernels/`` (im2col/col2im, batch-last conv
outputs, in-place updates, per-channel sums, freed memory kept), each tested against the plain
form it computes; ``parallel.py`` has ``set_num_threads`` (the BLAS's threads);
``conv_reference.py`` has the convolutions as plain loops.
"""

from tinygan.ops.activation import (
    LeakyReLU,
    LogSigmoid,
    ReLU,
    Sigmoid,
    Softplus,
    Tanh,
    leaky_relu,
    log_sigmoid,
    logsigmoid,
    relu,
    sigmoid,
    softplus,
    tanh,
)
from tinygan.ops.arithmetic import (
    Add,
    Div,
    Mul,
    Neg,
    Pow,
    PowScalar,
    Sub,
    add,
    div,
    mul,
    neg,
    pow,
    sub,
)
from tinygan.ops.elementwise import (
    Abs,
    AsType,
    Clip,
    Exp,
    Log,
    Maximum,
    Minimum,
    Sqrt,
    ToDevice,
    Where,
    abs,
    astype,
    clip,
    compare,
    exp,
    log,
    maximum,
    minimum,
    sqrt,
    to_device,
    where,
)
from tinygan.ops.linalg import MatMul, matmul
from tinygan.ops.loss import BCEWithLogits, binary_cross_entropy_with_logits
from tinygan.ops.reduce import Max, Mean, Sum, max, mean, min, sum, var
from tinygan.ops.shape import (
    Concatenate,
    GetItem,
    Pad,
    Reshape,
    Stack,
    Transpose,
    cat,
    concatenate,
    getitem,
    pad,
    permute,
    reshape,
    stack,
    transpose,
)

__all__ = [
    "Abs", "Add", "AsType", "BCEWithLogits", "Clip", "Concatenate", "Div", "Exp", "GetItem",
    "LeakyReLU", "Log", "LogSigmoid", "MatMul", "Max", "Maximum", "Mean", "Minimum", "Mul", "Neg",
    "Pad", "Pow", "PowScalar", "ReLU", "Reshape", "Sigmoid", "Softplus", "Sqrt", "Stack", "Sub",
    "Sum", "Tanh", "ToDevice", "Transpose", "Where",
    "abs", "add", "astype", "binary_cross_entropy_with_logits", "cat", "clip", "compare",
    "concatenate", "div", "exp", "getitem", "leaky_relu", "log", "log_sigmoid", "logsigmoid",
    "matmul", "max", "maximum", "mean", "min", "minimum", "mul", "neg", "pad", "permute", "pow",
    "relu", "reshape", "sigmoid", "softplus", "sqrt", "stack", "sub", "sum", "tanh", "to_device",
    "transpose", "var", "where",
]
