"""tinygan.classifier: the shipped MNIST classifier, its cross-entropy, and classifier_score.

The data tests read the MNIST test split from $TINYGAN_DATA if set, else from ../shared/mnist
beside the repository, and skip only when the files are not there (CI sets TINYGAN_DATA).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import tinygan
from tinygan import backend
from tinygan.autograd.gradcheck import GradcheckError, gradcheck
from tinygan.data import load_mnist
from tinygan.evaluation.classifier import (
    DEFAULT_WEIGHTS,
    MNISTClassifier,
    classifier_score,
    cross_entropy,
    load_classifier,
    predict,
)

REPO = Path(__file__).resolve().parents[2]


def _mnist_folder() -> Path:
    env = os.environ.get("TINYGAN_DATA")
    return Path(env) if env else REPO.parent / "shared" / "mnist"


@pytest.fixture(scope="module")
def model() -> MNISTClassifier:
    return load_classifier()


@pytest.fixture(scope="module")
def mnist_test():
    folder = _mnist_folder()
    names = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    if not all((folder / n).is_file() or (folder / (n + ".gz")).is_file() for n in names):
        pytest.skip(f"the MNIST test files are not in {folder} (set TINYGAN_DATA)")
    return load_mnist(folder, "test")


@pytest.fixture(scope="module")
def real_subsets(mnist_test):
    """Two disjoint random sets of 2,000 real test images, with their labels."""
    images, labels = mnist_test
    order = np.random.default_rng(0).permutation(len(images))
    a, b = order[:2000], order[2000:4000]
    return (images[a], labels[a]), (images[b], labels[b])


@pytest.fixture(scope="module")
def scores(model, real_subsets, mnist_test):
    """classifier_score on a real subset and on a collapsed set (one digit), computed once."""
    (xa, _), (xb, _) = real_subsets
    images, labels = mnist_test
    ones = images[labels == 1][:1000]
    return {
        "real_vs_real": classifier_score(xa, xb, classifier=model),
        "real_vs_test": classifier_score(xa, classifier=model),
        "collapsed_vs_real": classifier_score(ones, xb, classifier=model),
        "collapsed_vs_test": classifier_score(ones, classifier=model),
    }


# ----------------------------------------------------------------------------------------------
# cross_entropy: its formula, its gradient, torch
# ----------------------------------------------------------------------------------------------


def test_cross_entropy_matches_its_formula_and_survives_huge_logits():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(6, 4)) * 3
    y = np.array([0, 3, 1, 2, 3, 0])
    expected = -np.mean([a[i, y[i]] - np.log(np.exp(a[i]).sum()) for i in range(6)])
    got = cross_entropy(tinygan.tensor(a), tinygan.tensor(y)).item()
    assert got == pytest.approx(expected, rel=1e-12)
    huge = tinygan.tensor(np.array([[1000.0, 0.0], [0.0, -1000.0]]))
    loss = cross_entropy(huge, tinygan.tensor(np.array([1, 0])))
    assert loss.item() == pytest.approx(500.0, rel=1e-12)  # (1000 + 0) / 2, no overflow


def test_cross_entropy_gradient_is_softmax_minus_onehot_and_passes_gradcheck():
    rng = np.random.default_rng(2)
    a = tinygan.tensor(rng.normal(size=(5, 3)), requires_grad=True)
    y = tinygan.tensor(np.array([2, 0, 1, 1, 2]))
    assert gradcheck(lambda t: cross_entropy(t, y), a)
    cross_entropy(a, y).backward()
    p = np.exp(a.numpy()) / np.exp(a.numpy()).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(backend.to_numpy(a.grad), (p - np.eye(3)[y.numpy()]) / 5, rtol=1e-12)
    # the check can fail: the same value with a gradient five times too large is caught
    def wrong(t):
        loss = cross_entropy(t, y)
        return loss * 5 - (loss * 4).detach()

    with pytest.raises(GradcheckError):
        gradcheck(wrong, a)


def test_cross_entropy_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    a = rng.normal(size=(7, 10)) * 4
    y = rng.integers(0, 10, size=7)
    t = tinygan.tensor(a, requires_grad=True)
    loss = cross_entropy(t, tinygan.tensor(y))
    loss.backward()
    ta = torch.tensor(a, requires_grad=True)
    tl = torch.nn.functional.cross_entropy(ta, torch.tensor(y))
    tl.backward()
    assert loss.item() == pytest.approx(tl.item(), rel=1e-12)
    np.testing.assert_allclose(backend.to_numpy(t.grad), ta.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_cross_entropy_bad_input():
    a = tinygan.tensor(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="cross_entropy: expected logits"):
        cross_entropy(a, tinygan.tensor(np.zeros(3, dtype=np.int64)))
    with pytest.raises(TypeError, match="labels must be integers"):
        cross_entropy(a, tinygan.tensor(np.zeros(4)))


# ----------------------------------------------------------------------------------------------
# The shipped weights
# ----------------------------------------------------------------------------------------------


def test_shipped_weights_are_small_float32_and_carry_their_reference(model):
    assert DEFAULT_WEIGHTS.is_file()
    assert DEFAULT_WEIGHTS.stat().st_size < 2_000_000
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert not model.training
    assert model.info["test_accuracy"] >= 0.98
    assert model.reference["mean"].shape == (model.hidden,)
    assert model.reference["cov"].shape == (model.hidden, model.hidden)


def test_loading_the_classifier_leaves_tinygan_random_stream_alone():
    tinygan.manual_seed(123)
    expected = tinygan.randn(5).numpy()
    tinygan.manual_seed(123)
    load_classifier()
    np.testing.assert_array_equal(tinygan.randn(5).numpy(), expected)


def test_shipped_classifier_reads_the_real_test_set(model, real_subsets):
    (x, y), _ = real_subsets
    probs, feats = predict(x, model)
    assert probs.shape == (2000, 10) and feats.shape == (2000, model.hidden)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-12)
    accuracy = np.mean(probs.argmax(axis=1) == y)
    assert accuracy >= 0.97, f"test accuracy {accuracy:.4f} on 2,000 images"


def test_predict_takes_flat_images_and_tensors_alike(model, real_subsets):
    (x, _), _ = real_subsets
    x = x[:50]
    p1, f1 = predict(x, model)
    p2, f2 = predict(x.reshape(50, 784), model, batch_size=7)
    p3, f3 = predict(tinygan.tensor(x), model)
    np.testing.assert_allclose(p2, p1, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(p3, p1)
    np.testing.assert_allclose(f2, f1, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(f3, f1)


def test_load_classifier_refuses_missing_and_foreign_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="train_mnist_classifier.py"):
        load_classifier(tmp_path / "nothing.npz")
    foreign = tmp_path / "gan.npz"
    tinygan.save({"G": {"w": np.zeros(3)}}, foreign)
    with pytest.raises(ValueError, match="not an MNIST classifier"):
        load_classifier(foreign)


# ----------------------------------------------------------------------------------------------
# classifier_score: mode collapse as a number
# ----------------------------------------------------------------------------------------------


def test_real_images_cover_all_ten_classes_and_sit_near_the_real_features(scores, real_subsets):
    (_, y), _ = real_subsets
    for key in ("real_vs_real", "real_vs_test"):
        s = scores[key]
        assert s["n_samples"] == 2000
        assert s["classes_covered"] == 10 and s["classes_present"] == 10
        assert sum(s["class_counts"]) == 2000
        # the histogram follows the true labels' (the classifier is ~99% right)
        assert np.abs(np.array(s["class_counts"]) - np.bincount(y, minlength=10)).sum() < 60
        assert s["mean_confidence"] > 0.95
        assert s["inception_score"] > 9.0


def test_collapsed_set_covers_one_class_at_a_large_distance(scores):
    for key in ("collapsed_vs_real", "collapsed_vs_test"):
        s = scores[key]
        assert s["classes_covered"] == 1
        assert s["class_counts"][1] >= 990
        assert s["inception_score"] < 1.1
    # the Fréchet distance tells the two apart by orders of magnitude, whatever the reference
    for real, collapsed in (("real_vs_real", "collapsed_vs_real"),
                            ("real_vs_test", "collapsed_vs_test")):
        assert scores[collapsed]["frechet_distance"] > 50 * scores[real]["frechet_distance"]


def test_real_frechet_distance_is_near_zero_and_its_bias_shrinks_with_more_samples(
        model, scores, real_subsets):
    near = scores["real_vs_test"]["frechet_distance"]
    far = scores["collapsed_vs_test"]["frechet_distance"]
    assert near < 0.01 * far
    # real against disjoint real images: what is left is the small-sample bias of the fitted
    # covariances, and it is larger with 500 samples than with 2,000
    (xa, _), (xb, _) = real_subsets
    fewer = classifier_score(xa[:500], xb, classifier=model)["frechet_distance"]
    assert scores["real_vs_real"]["frechet_distance"] < fewer < 0.05 * far


def test_fair_share_rule_counts_classes_with_enough_samples(model, mnist_test):
    images, labels = mnist_test
    # 300 of digit 0 and 3 of digit 7: 7 holds 1% of the samples, below 20% of 10% = 2%
    x = np.concatenate([images[labels == 0][:300], images[labels == 7][:3]])
    s = classifier_score(x, classifier=model)
    assert s["classes_present"] >= 2 and s["class_counts"][7] >= 1
    assert s["classes_covered"] == 1
    assert classifier_score(x, classifier=model, fair_share=0.0)["classes_covered"] == 10


@pytest.mark.parametrize("shape", [(10, 28, 28), (10, 3, 28, 28), (10, 100), (784,),
                                   (10, 1, 32, 32)])
def test_bad_shapes_are_refused_with_a_clear_error(model, shape):
    with pytest.raises(ValueError, match=r"classifier_score: samples must be MNIST images of "
                                         r"shape \(N, 784\) or \(N, 1, 28, 28\), got"):
        classifier_score(np.zeros(shape, dtype=np.float32), classifier=model)
    with pytest.raises(ValueError, match="predict: images must be MNIST images"):
        predict(np.zeros(shape, dtype=np.float32), model)


def test_other_bad_input_is_refused_with_a_clear_error(model):
    ok = np.zeros((4, 784), dtype=np.float32)
    with pytest.raises(ValueError, match=r"pixel values in \[-1, 1\].*got values in \[0, 255\]"):
        classifier_score(ok + np.arange(784, dtype=np.float32) % 256, classifier=model)
    with pytest.raises(ValueError, match="NaN"):
        classifier_score(np.full((4, 784), np.nan), classifier=model)
    with pytest.raises(ValueError, match="at least 2"):
        classifier_score(ok[:1], classifier=model)
    with pytest.raises(TypeError, match="NumPy array or a Tensor, got list"):
        classifier_score(ok.tolist(), classifier=model)
    with pytest.raises(ValueError, match="reference must be MNIST images"):
        classifier_score(ok, np.zeros((4, 28, 28)), classifier=model)
    with pytest.raises(TypeError, match="classifier must be an MNISTClassifier"):
        classifier_score(ok, classifier=tinygan.nn.Linear(784, 10))
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        classifier_score(ok, classifier=model, batch_size=0)
    fresh = MNISTClassifier(device="cpu")  # no reference statistics attached
    with pytest.raises(ValueError, match="carries no reference statistics"):
        classifier_score(ok, classifier=fresh)


def test_features_refuse_a_wrong_image_shape():
    m = MNISTClassifier(device="cpu")
    with pytest.raises(ValueError, match=r"MNISTClassifier: expected images of shape"):
        m(tinygan.tensor(np.zeros((2, 784), dtype=np.float32)))


def test_scoring_keeps_the_models_mode(model):
    model.train()
    try:
        classifier_score(np.zeros((4, 784), dtype=np.float32), np.zeros((4, 784)),
                         classifier=model)
        assert model.training
    finally:
        model.eval()


def test_scoring_on_a_device_moves_data_only_explicitly(fake_cuda, model, real_subsets):
    """On the CuPy double: the classifier runs on "cuda", batches go over with to_device and
    results come back with .numpy(); the numbers match the CPU's."""
    (x, _), (ref, _) = real_subsets
    x, ref = x[:40], ref[:40]
    on_device = load_classifier(device="cuda")
    assert isinstance(on_device.conv1.weight.data, fake_cuda.ndarray)
    samples = tinygan.tensor(x).to("cuda")
    got = classifier_score(samples, ref, classifier=on_device)
    expected = classifier_score(x, ref, classifier=model)
    assert got["class_counts"] == expected["class_counts"]
    assert got["frechet_distance"] == pytest.approx(expected["frechet_distance"], rel=1e-4)
    with pytest.raises(TypeError, match=r"tensor.numpy\(\) first"):
        classifier_score(samples.data, classifier=on_device)  # a raw device array is refused
    logits = tinygan.tensor(np.zeros((3, 10), dtype=np.float32)).to("cuda").requires_grad_()
    labels = tinygan.tensor(np.array([1, 2, 3])).to("cuda")
    cross_entropy(logits, labels).backward()
    assert isinstance(logits.grad, fake_cuda.ndarray)
