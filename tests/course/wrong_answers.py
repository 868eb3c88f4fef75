"""Deliberately wrong answers to the exercises, and what the check must say about each.

tests/course/test_course.py runs every lesson notebook's solution version in a kernel and, after
each check cell that has entries here, puts each wrong answer in place of the solution cell,
runs it and the check cell again, and asserts that the check fails with ``ExerciseFailed`` whose
message contains the expected text; then it restores the right solution and goes on.

Format: one dict per notebook, in its own section below, owned by that notebook's author::

    NBxx = {
        "<grade_id of the solution cell>": [
            (WRONG_SOURCE, "a substring expected in the failure message"),
            ...
        ],
    }

``WRONG_SOURCE`` is the *whole* replacement source of the solution cell, as a student might
have written it (the ``def`` line and all, no BEGIN/END SOLUTION markers). Each exercise should
have at least one entry showing the slip its check exists to catch (a sign error, a transposed
gradient, a missing unbroadcast, a wrong shape, a frozen network that moves ...). grade_ids are
unique across the course (``ex01-...``, ``ex02-...``), so the sections are merged into
``WRONG_ANSWERS`` at the end.
"""

from __future__ import annotations

WrongAnswers = dict[str, list[tuple[str, str]]]

# ==============================================================================================
# Notebook 01: autograd from scratch
# ==============================================================================================

NB01: WrongAnswers = {
    "ex01-tanh-backward": [
        ('''class Tanh(Function):
    """y = tanh(x);  dy/dx = 1 - y^2."""

    @staticmethod
    def forward(ctx, x):
        xp = tinygan.backend.get_array_module(x)
        y = xp.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (y * y - 1)          # the sign of the derivative flipped
''', "wrong sign"),
        ('''class Tanh(Function):
    """y = tanh(x);  dy/dx = 1 - y^2."""

    @staticmethod
    def forward(ctx, x):
        xp = tinygan.backend.get_array_module(x)
        y = xp.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return 1 - y * y                   # the upstream gradient forgotten
''', "is wrong at element"),
    ],
    "ex01-matmul-backward": [
        ('''class MatMul(Function):
    """C = A @ B for A (n, k), B (k, m);  dL/dA = G B^T,  dL/dB = A^T G."""

    @staticmethod
    def forward(ctx, A, B):
        ctx.save_for_backward(A, B)
        return A @ B

    @staticmethod
    def backward(ctx, grad):
        A, B = ctx.saved_tensors
        return grad @ B.T, grad.T @ A      # dL/dB transposed
''', "it is transposed"),
        ('''class MatMul(Function):
    """C = A @ B for A (n, k), B (k, m);  dL/dA = G B^T,  dL/dB = A^T G."""

    @staticmethod
    def forward(ctx, A, B):
        ctx.save_for_backward(A, B)
        return A @ B

    @staticmethod
    def backward(ctx, grad):
        A, B = ctx.saved_tensors
        return grad @ B, A.T @ grad        # B where B^T belongs: the shapes do not fit
''', "your backward raised ValueError"),
    ],
    "ex01-softplus-function": [
        ('''class Softplus(Function):
    """y = log(1 + e^x), computed as max(x, 0) + log(1 + e^-|x|);  dy/dx = sigmoid(x)."""

    @staticmethod
    def forward(ctx, x):
        xp = tinygan.backend.get_array_module(x)
        ctx.save_for_backward(x)
        return xp.log(1 + xp.exp(x))       # the naive form: overflows for large x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        xp = tinygan.backend.get_array_module(x)
        return grad / (1 + xp.exp(-x))
''', "expected 800"),
        ('''class Softplus(Function):
    """y = log(1 + e^x), computed as max(x, 0) + log(1 + e^-|x|);  dy/dx = sigmoid(x)."""

    @staticmethod
    def forward(ctx, x):
        xp = tinygan.backend.get_array_module(x)
        ctx.save_for_backward(x)
        return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        xp = tinygan.backend.get_array_module(x)
        return grad / (1 + xp.exp(x))      # sigmoid(-x) instead of sigmoid(x)
''', "the gradient for input 0 (x) is wrong"),
    ],
    "ex01-unbroadcast": [
        ('''def sum_to_shape(grad, shape):
    """Sum grad down to shape, the backward of broadcasting an array of that shape."""
    return grad.sum(axis=tuple(range(grad.ndim - len(shape))))   # the size-1 axes forgotten
''', "expected shape"),
    ],
    "ex01-broadcast-mul": [
        ('''class Mul(Function):
    """c = a * b with broadcasting;  dL/da = unbroadcast(g b),  dL/db = unbroadcast(g a)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * b, grad * a          # not summed back to the inputs' shapes
''', "unbroadcast(grad, shape)"),
    ],
    "ex01-im2col-offset": [
        ('''def offset_slice(x, i, j, k, stride, padding):
    """im2col's rows for kernel offset (i, j): shape (C, OH, OW, N)."""
    n, c, h, w = x.shape
    oh = (h + 2 * padding - k) // stride + 1
    ow = (w + 2 * padding - k) // stride + 1
    xpad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    rows = xpad[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]
    return rows                            # still (N, C, OH, OW): not moved to im2col's layout
''', "expected shape"),
        ('''def offset_slice(x, i, j, k, stride, padding):
    """im2col's rows for kernel offset (i, j): shape (C, OH, OW, N)."""
    n, c, h, w = x.shape
    oh = (h + 2 * padding - k) // stride + 1
    ow = (w + 2 * padding - k) // stride + 1
    xpad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    rows = xpad[:, :, j:j + stride * oh:stride, i:i + stride * ow:stride]  # i and j swapped
    return rows.transpose(1, 2, 3, 0)
''', "elements differ"),
    ],
}

# ==============================================================================================
# Notebook 02: the GAN chapter on a 1-D Gaussian (its author's section)
# ==============================================================================================

NB02: WrongAnswers = {
    "ex02-eq1": [
        ('''def eq1_discriminator_loss(real_logits, fake_logits):
    """Eq. 1, L_D = mean softplus(-a_real) + mean softplus(a_fake)."""
    # the naive form, log of a sigmoid: log(0) = -inf where D is sure and wrong
    return -real_logits.sigmoid().log().mean() - (1 - fake_logits.sigmoid()).log().mean()
''', "a log of 0"),
    ],
    "ex02-eq2": [
        ('''def eq2_generator_loss_zero_sum(real_logits, fake_logits):
    """Eq. 2, L_G = -L_D = -mean softplus(-a_real) - mean softplus(a_fake)."""
    return (-real_logits).softplus().mean() + fake_logits.softplus().mean()   # that is Eq. 1
''', "wrong sign"),
    ],
    "ex02-eq5": [
        ('''def eq5_generator_loss_non_saturating(fake_logits):
    """Eq. 5, L_G = -mean log D(G(z)) = mean softplus(-a_fake)."""
    return fake_logits.softplus().mean()          # -log(1 - D): the fake's label, not the real's
''', "expected"),
    ],
    "ex02-d-step": [
        ('''def my_d_step(G, D, d_optimizer, x):
    """One D step of Algorithm 1; returns L_D before the update."""
    z = tinygan.randn(len(x), 8)
    fake = G(z)                        # not detached: backward runs on into G
    d_optimizer.zero_grad()
    loss = losses.discriminator_loss(D(x), D(fake))
    loss.backward()
    d_optimizer.step()
    return loss.item()
''', "back-propagated into the frozen network"),
        ('''def my_d_step(G, D, d_optimizer, x):
    """One D step of Algorithm 1; returns L_D before the update."""
    z = tinygan.randn(len(x), 8)
    with tinygan.no_grad():
        fake = G(z)
    d_optimizer.zero_grad()
    loss = losses.value_function(D(x), D(fake))   # V instead of L_D: D ascends its own loss
    loss.backward()
    d_optimizer.step()
    return -loss.item()
''', "elements differ"),
        ('''def my_d_step(G, D, d_optimizer, x):
    """One D step of Algorithm 1; returns L_D before the update."""
    z = tinygan.randn(len(x), 8)
    with tinygan.no_grad():
        fake = G(z)
    d_optimizer.zero_grad()
    loss = losses.discriminator_loss(D(x), D(fake))
    loss.backward()                    # the optimizer's step forgotten
    return loss.item()
''', "did it call the optimizer's step()"),
    ],
    "ex02-g-step": [
        ('''def my_g_step(G, D, g_optimizer, m):
    """One G step of Algorithm 1 (Eq. 5) through a frozen D; returns L_G."""
    z = tinygan.randn(m, 8)
    g_optimizer.zero_grad()
    loss = losses.generator_loss_non_saturating(D(G(z)))   # D not frozen: its .grad is written
    loss.backward()
    g_optimizer.step()
    return loss.item()
''', "back-propagated into the frozen network"),
        ('''def my_g_step(G, D, g_optimizer, m):
    """One G step of Algorithm 1 (Eq. 5) through a frozen D; returns L_G."""
    z = tinygan.randn(m, 8)
    g_optimizer.zero_grad()
    with frozen(D):
        loss = losses.log_one_minus_d(D(G(z))).mean()      # Eq. 2's term, not Eq. 5
        loss.backward()
    g_optimizer.step()
    return losses.generator_loss_non_saturating(D(G(z))).item()
''', "Exercise 2.5"),
    ],
    "ex02-d-star": [
        ('''def d_star_two_gaussians(x, mu_data, sd_data, mu_g, sd_g):
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)) for two normal densities."""
    def normal_pdf(x, mu, sd):
        return np.exp(-0.5 * ((x - mu) / sd) ** 2) / (sd * np.sqrt(2 * np.pi))

    p_data, p_g = normal_pdf(x, mu_data, sd_data), normal_pdf(x, mu_g, sd_g)
    return p_g / (p_data + p_g)        # G's share instead of the data's
''', "elements differ"),
    ],
    "ex02-loss-at-d-star": [
        ('''def loss_d_at_d_star(p_data, p_g, x):
    """L_D(D*) = -int p_data log D* - int p_g log(1 - D*), by the trapezoid rule on x."""
    d = p_data / (p_data + p_g)
    return -integrate(p_data * np.log(d), x) - integrate(p_g * np.log(1 - d), x)   # 1 - D* -> 0
''', "a log of 0"),
        ('''def loss_d_at_d_star(p_data, p_g, x):
    """L_D(D*) = -int p_data log D* - int p_g log(1 - D*), by the trapezoid rule on x."""
    log_d = np.log(p_data / (p_data + p_g))
    return -integrate(p_data * log_d, x) - integrate(p_g * log_d, x)    # log D* for the fakes too
''', "Exercise 2.7"),
    ],
    "ex02-predict-saturation": [
        ('''def my_prediction():
    """Your prediction: "a", "b" or "c"."""
    return "c"
''', "is not the right choice"),
    ],
}

# ==============================================================================================
# Notebook 03: mode collapse in 2-D (its author's section)
# ==============================================================================================

NB03: WrongAnswers = {
    "ex03-veegan-metrics": [
        ('''def veegan_metrics(samples, modes, std):
    """(modes captured, fraction of high-quality samples) of samples (n, 2) around modes (K, 2)."""
    d2 = ((samples[:, None, :] - modes[None, :, :]) ** 2).sum(axis=-1)
    nearest = d2.argmin(axis=1)
    high_quality = d2.min(axis=1) <= 3 * std      # a squared distance against 3 std
    modes_captured = len(np.unique(nearest[high_quality]))
    high_quality_fraction = high_quality.mean()
    return modes_captured, high_quality_fraction
''', "output 1: your answer is"),
        ('''def veegan_metrics(samples, modes, std):
    """(modes captured, fraction of high-quality samples) of samples (n, 2) around modes (K, 2)."""
    d2 = ((samples[:, None, :] - modes[None, :, :]) ** 2).sum(axis=-1)
    nearest = d2.argmin(axis=1)
    high_quality = np.sqrt(d2.min(axis=1)) <= 3 * std
    modes_captured = len(np.unique(nearest))      # every sample captures, not only good ones
    high_quality_fraction = high_quality.mean()
    return modes_captured, high_quality_fraction
''', "output 0: your answer is"),
    ],
    "ex03-fair-share": [
        ('''def modes_with_fair_share(mode_counts, n_samples, fair_share=0.2):
    """The number of modes k with mode_counts[k] >= fair_share * n_samples / K."""
    mode_counts = np.asarray(mode_counts)
    # a share of the high-quality samples only: the rule that let noise hold modes by luck
    return int(np.sum(mode_counts >= fair_share * mode_counts.sum() / len(mode_counts)))
''', "your answer is"),
    ],
    "ex03-pack": [
        ('''def pack(x, m):
    """(N, d) -> (N/m, m*d): m consecutive samples side by side in each row."""
    return x.T.reshape(x.shape[1] * m, -1).T    # the right shape, samples from different packs
''', "elements differ"),
        ('''def pack(x, m):
    """(N, d) -> (N/m, m*d): m consecutive samples side by side in each row."""
    return x.reshape(m, -1)                     # m rows instead of N/m
''', "expected shape"),
    ],
    "ex03-predict-hq-curve": [
        ('''def my_prediction():
    """Your letter: a, b, c or d."""
    return "b"
''', "is not the right choice"),
        ('''def my_prediction():
    """Your letter: a, b, c or d."""
    return "e"
''', "is not one of the choices"),
    ],
}

# ==============================================================================================
# Notebooks 04 and 05: MNIST, DCGAN and the conditional GAN (their author's section)
# ==============================================================================================

NB04: WrongAnswers = {
    "ex04-predict-game": [
        ('''def my_prediction():
    """Return "a", "b", "c" or "d"."""
    return "a"                             # the 1-D game's equilibrium, expected here too
''', "is not the right choice"),
        ('''def my_prediction():
    """Return "a", "b", "c" or "d"."""
    return "D wins"                        # not one of the letters
''', "is not one of the choices"),
    ],
}

NB05: WrongAnswers = {
    "ex05-conv-size": [
        ('''def conv_output_size(n, k, s, p):
    """Output length of a convolution along one axis (kernel k, stride s, padding p)."""
    return (n + 2 * p - k) / s + 1         # no floor: a fractional number of positions
''', "is 10.5, expected 10"),
        ('''def conv_output_size(n, k, s, p):
    """Output length of a convolution along one axis (kernel k, stride s, padding p)."""
    return (n + p - k) // s + 1            # the padding counted on one side only
''', "elements differ"),
    ],
    "ex05-deconv-size": [
        ('''def conv_transpose_output_size(n, k, s, p):
    """Output length of a transposed convolution along one axis (kernel k, stride s, padding p)."""
    return (n - 1) * s + 2 * p + k         # the padding added instead of cut off
''', "is 24, expected 20"),
        ('''def conv_transpose_output_size(n, k, s, p):
    """Output length of a transposed convolution along one axis (kernel k, stride s, padding p)."""
    return n * s - 2 * p + k               # n stamps, but n - 1 strides between them
''', "is 22, expected 20"),
    ],
    "ex05-label-to-g": [
        ('''def generator_forward(G, z, y):
    """G(z, y) of cgan-mnist: the label's embedding concatenated to z, then the MLP."""
    return G.net(ops.cat([G.label_embedding(y), z], axis=1))   # the embedding before z
''', "elements differ"),
        ('''def generator_forward(G, z, y):
    """G(z, y) of cgan-mnist: the label's embedding concatenated to z, then the MLP."""
    return G.net(z)                        # the label left out
''', "raised ValueError"),
    ],
    "ex05-label-to-d": [
        ('''def discriminator_forward(D, x, y):
    """D(x, y) of cgan-mnist: the flattened image and the label's embedding, then the MLP."""
    return D.net(ops.cat([x, D.label_embedding(y)], axis=1))   # the image not flattened
''', "tensors have different numbers of dimensions"),
        ('''def discriminator_forward(D, x, y):
    """D(x, y) of cgan-mnist: the flattened image and the label's embedding, then the MLP."""
    onehot = tinygan.tensor(np.eye(10, dtype=np.float32)[y.numpy()], device=x.device)
    return D.net(ops.cat([x.reshape(len(x), -1), onehot], axis=1))   # one-hot, not D's embedding
''', "elements differ"),
    ],
    "ex05-predict-accuracy": [
        ('''def my_prediction():
    """Return "a", "b", "c" or "d"."""
    return "b"                             # the label used from the first steps
''', "is not the right choice"),
    ],
}

# ==============================================================================================
# Notebook 07: training dynamics (its author's section)
# ==============================================================================================

NB07: WrongAnswers = {
    "ex07-simultaneous": [
        ('''def simultaneous_step(x, y, lr):
    """x descends f = x*y and y ascends it, both from the gradients at (x, y)."""
    return x - lr * y, y - lr * x          # y descends too: both players minimise
''', "Exercise 7.1"),
        ('''def simultaneous_step(x, y, lr):
    """x descends f = x*y and y ascends it, both from the gradients at (x, y)."""
    x = x - lr * y
    return x, y + lr * x                   # y already sees the new x: that is alternating
''', "elements differ"),
    ],
    "ex07-alternating": [
        ('''def alternating_step(x, y, lr):
    """x descends first; then y ascends, answering the new x."""
    return x - lr * y, y + lr * x          # both from the old point: that is simultaneous
''', "elements differ"),
    ],
    "ex07-predict-spiral": [
        ('''def my_prediction_7_3():
    """Your prediction: "a", "b" or "c"."""
    return "a"
''', "is not the right choice"),
    ],
    "ex07-predict-k": [
        ('''def my_prediction_7_4():
    """Your prediction: "a", "b" or "c"."""
    return "c"
''', "is not the right choice"),
    ],
    "ex07-lsgan-d-loss": [
        ('''def lsgan_discriminator_loss(real_scores, fake_scores):
    """1/2 mean (s_real - 1)^2 + 1/2 mean s_fake^2."""
    return ((real_scores - 1.0) ** 2).mean() + (fake_scores**2).mean()   # the 1/2 forgotten
''', "times the expected one"),
        ('''def lsgan_discriminator_loss(real_scores, fake_scores):
    """1/2 mean (s_real - 1)^2 + 1/2 mean s_fake^2."""
    return 0.5 * (real_scores**2).mean() + 0.5 * ((fake_scores - 1.0) ** 2).mean()  # labels swapped
''', "Exercise 7.5"),
    ],
}

# ==============================================================================================
# Notebook 08: the Wasserstein GAN with gradient penalty (its author's section)
# ==============================================================================================

_NB08_HEAD = '''def my_gradient_penalty(critic, real, fake, epsilon, weight=10.0):
    """weight * mean_i (||grad D(x_hat_i)||_2 - 1)^2, x_hat = eps real + (1 - eps) fake."""
    eps = tinygan.tensor(epsilon.reshape(-1, 1))
    x_hat = (eps * real + (1 - eps) * fake).detach().requires_grad_()
'''

NB08: WrongAnswers = {
    "ex08-gradient-penalty": [
        (_NB08_HEAD + '''    (g,) = tinygan.autograd.grad(critic(x_hat).sum(), x_hat)  # no graph
    norms = (g * g).sum(axis=1).sqrt()
    return weight * ((norms - 1.0) ** 2).mean()
''', "create_graph=True"),
        (_NB08_HEAD + '''    (g,) = tinygan.autograd.grad(critic(x_hat).sum(), x_hat,
                                 create_graph=True)
    norms = (g * g).sum(axis=0).sqrt()  # the norm over the batch, not over a sample
    return weight * ((norms - 1.0) ** 2).mean()
''', "elements differ"),
        (_NB08_HEAD + '''    (g,) = tinygan.autograd.grad(critic(x_hat).sum(), x_hat,
                                 create_graph=True)
    norms = (g * g).sum(axis=1)  # the squared norm: no square root
    return weight * ((norms - 1.0) ** 2).mean()
''', "Exercise 8.1"),
    ],
    "ex08-predict-no-penalty": [
        ('''def my_prediction_8_2():
    """Your prediction: "a", "b" or "c"."""
    return "a"
''', "is not the right choice"),
    ],
}

# ==============================================================================================
# Notebook 06: super-resolution, SRResNet and SRGAN (issue 15; its author's section)
# ==============================================================================================

NB06: WrongAnswers = {
    "ex06-pixel-shuffle": [
        ('''def my_pixel_shuffle(x, r):
    """(N, C*r*r, H, W) -> (N, C, H*r, W*r)."""
    n, crr, h, w = x.shape
    c = crr // (r * r)
    # i and j swapped: the channel's first sub-index taken as the column offset
    return x.reshape(n, c, r, r, h, w).transpose(0, 1, 4, 3, 5, 2).reshape(n, c, h * r, w * r)
''', "elements differ"),
        ('''def my_pixel_shuffle(x, r):
    """(N, C*r*r, H, W) -> (N, C, H*r, W*r)."""
    n, crr, h, w = x.shape
    return x.reshape(n, crr // (r * r), h * r, w * r)   # a reshape alone: no transpose
''', "Exercise 6.1"),
    ],
    "ex06-perceptual-loss": [
        ('''def my_perceptual_loss(classifier, sr, hr, fake_logits):
    """content loss on the classifier's features + 1e-3 x Eq. 5."""
    content = ((content_features(classifier, sr) - content_features(classifier, hr)) ** 2).mean()
    return content + losses.generator_loss_non_saturating(fake_logits)   # weight 1, not 1e-3
''', "Exercise 6.2"),
        ('''def my_perceptual_loss(classifier, sr, hr, fake_logits):
    """content loss on the classifier's features + 1e-3 x Eq. 5."""
    content = ((sr - hr) ** 2).mean()                  # the pixel loss, not the features'
    return content + 1e-3 * losses.generator_loss_non_saturating(fake_logits)
''', "Exercise 6.2"),
        ('''def my_perceptual_loss(classifier, sr, hr, fake_logits):
    """content loss on the classifier's features + 1e-3 x Eq. 5."""
    content = ((content_features(classifier, sr) - content_features(classifier, hr)) ** 2).mean()
    return content + 1e-3 * losses.log_one_minus_d(fake_logits).mean()  # Eq. 2's term
''', "a constant factor is off"),
    ],
}

# ==============================================================================================
# Notebook 09: recipes, measured
# ==============================================================================================

_NB09_LOSS_HEAD = '''import tinygan.functional as F


def my_smoothed_d_loss(real_logits, fake_logits, alpha):
    """-E[(1 - alpha) log D(x) + alpha log(1 - D(x))] - E[log(1 - D(G(z)))], from logits."""
'''

_NB09_R1_HEAD = '''from tinygan.autograd import grad


def my_r1_penalty(d, x, gamma):
    """gamma / 2 * the batch mean of ||grad_x D(x)||^2, a Tensor D can be trained through."""
'''

NB09: WrongAnswers = {
    "ex09-ema-update": [
        ('''def ema_update(average, weights, beta):
    """beta * average + (1 - beta) * weights, a new array."""
    return (1.0 - beta) * average + beta * weights   # the weights swapped
''', "elements differ"),
        ('''def ema_update(average, weights, beta):
    """beta * average + (1 - beta) * weights, a new array."""
    return beta * average + weights                  # no (1 - beta)
''', "Exercise 9.1"),
    ],
    "ex09-weight-of-start": [
        ('''def weight_of_start(beta, t):
    """The weight of theta_0 in the moving average after t updates."""
    return 1 - beta ** t                             # the weight of everything after it
''', "Exercise 9.2"),
        ('''def weight_of_start(beta, t):
    """The weight of theta_0 in the moving average after t updates."""
    return beta ** (t - 1)                           # one update too few
''', "1.004 times the expected"),
    ],
    "ex09-pack-images": [
        ('''def pack_images(x, m):
    """(N, C, H, W) -> (N/m, m*C, H, W): m consecutive images as the channels of one input."""
    n, c, h, w = x.shape
    return x.reshape(n // m, c, h, w * m)            # side by side in width, not as channels
''', "expected shape"),
        ('''def pack_images(x, m):
    """(N, C, H, W) -> (N/m, m*C, H, W): m consecutive images as the channels of one input."""
    n, c, h, w = x.shape                             # images k, k + N/m, ... in one pack
    return x.reshape(m, n // m, c, h, w).transpose(1, 0, 2, 3, 4).reshape(n // m, m * c, h, w)
''', "elements differ"),
    ],
    "ex09-smoothed-loss": [
        (_NB09_LOSS_HEAD + '''    a, b = real_logits, fake_logits
    real = (1 - alpha) * F.softplus(-a) + alpha * F.softplus(a)
    fake = (1 - alpha) * F.softplus(b) + alpha * F.softplus(-b)
    return real.mean() + fake.mean()                 # the fakes smoothed too: two-sided
''', "Exercise 9.4"),
        (_NB09_LOSS_HEAD + '''    a = real_logits
    real = alpha * F.softplus(-a) + (1 - alpha) * F.softplus(a)   # the weights swapped
    return real.mean() + F.softplus(fake_logits).mean()
''', "Exercise 9.4"),
    ],
    "ex09-predict-ttur": [
        ('''def my_prediction_9_5():
    """Your prediction: "a", "b" or "c"."""
    return "b"
''', "is not the right choice"),
    ],
    "ex09-decay-factor": [
        ('''def decay_factor(t, start, end):
    """1 until step `start`, then falling linearly to 0 at step `end`, and 0 after it."""
    return np.minimum(1.0, (end - t) / (end - start))   # negative after the last step
''', "elements differ"),
        ('''def decay_factor(t, start, end):
    """1 until step `start`, then falling linearly to 0 at step `end`, and 0 after it."""
    return np.clip(1.0 - t / end, 0.0, 1.0)             # decays from step 0, not from start
''', "elements differ"),
    ],
    "ex09-r1-penalty": [
        (_NB09_R1_HEAD + '''    x = x.detach().requires_grad_()
    (g,) = grad(d(x).sum(), x)                       # no create_graph: D cannot learn from it
    return 0.5 * gamma * (g * g).reshape(len(g), -1).sum(axis=1).mean()
''', "does not require grad"),
        (_NB09_R1_HEAD + '''    x = x.detach().requires_grad_()
    (g,) = grad(d(x).sum(), x, create_graph=True)
    return gamma * (g * g).reshape(len(g), -1).sum(axis=1).mean()    # no 1/2
''', "2 times the expected one"),
        (_NB09_R1_HEAD + '''    x = x.detach().requires_grad_()
    (g,) = grad(d(x).sum(), x, create_graph=True)
    norms = ((g * g).reshape(len(g), -1).sum(axis=1)) ** 0.5
    return 0.5 * gamma * norms.mean()                # the norm, not its square
''', "Exercise 9.7"),
    ],
}

# ==============================================================================================

WRONG_ANSWERS: WrongAnswers = {}
for _section in (NB01, NB02, NB03, NB04, NB05, NB06, NB07, NB08, NB09):
    _clash = sorted(set(WRONG_ANSWERS) & set(_section))
    if _clash:
        raise ValueError(f"wrong_answers.py: grade_ids listed twice: {_clash}")
    WRONG_ANSWERS.update(_section)
