"""Train the MNIST digit classifier behind ``classifier_score``, with tinygan.

The network is ``MNISTClassifier`` of ``tinygan.evaluation.classifier`` (two strided
convolutions, a 128-unit feature layer, 10 logits), trained with the package's own autograd,
layers and Adam on the 60,000 training images, by the module's ``cross_entropy``. The
10,000 test images are used only at the end: to report the test accuracy, and to compute the
mean and covariance of their features, the reference of the Fréchet distance. Everything goes
into one file (tinygan's checkpoint format, float32 weights):

    python scripts/train_mnist_classifier.py --data /path/to/mnist
    python scripts/train_mnist_classifier.py --epochs 1 --out /tmp/clf.npz     # a quick try

The data folder is ``--data``, else ``$TINYGAN_DATA``, else tinygan's cache (downloaded once).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy

import tinygan
from tinygan import backend
from tinygan.data import batches, load_mnist
from tinygan.evaluation.classifier import (
    DEFAULT_WEIGHTS,
    WEIGHTS_FORMAT,
    MNISTClassifier,
    cross_entropy,
    predict,
)
from tinygan.optim import Adam


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default=None, help="folder with the MNIST IDX files")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3, help="Adam's lr (÷10 for the last epoch)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=str(DEFAULT_WEIGHTS), help="the weights file to write")
    return p.parse_args()


def accuracy(model: MNISTClassifier, images: numpy.ndarray, labels: numpy.ndarray) -> float:
    probs, _ = predict(images, model)
    return float(numpy.mean(probs.argmax(axis=1) == labels))


def main() -> None:
    args = parse_args()
    if args.epochs < 1:
        raise SystemExit("--epochs must be at least 1")
    out = Path(args.out)
    if not out.parent.is_dir():
        raise SystemExit(f"cannot write {out}: folder {out.parent} does not exist")
    tinygan.manual_seed(args.seed)
    train_x, train_y = load_mnist(args.data, "train")
    test_x, test_y = load_mnist(args.data, "test")

    model = MNISTClassifier()
    opt = Adam(model.parameters(), lr=args.lr)
    n_params = sum(p.size for p in model.parameters())
    print(f"MNISTClassifier: {n_params:,} parameters; {len(train_x):,} training images, "
          f"{args.epochs} epochs of batch {args.batch_size}")

    start = time.perf_counter()
    for epoch in range(args.epochs):
        if epoch == args.epochs - 1 and args.epochs > 1:
            for group in opt.param_groups:
                group["lr"] = args.lr / 10  # a last, finer epoch
        model.train()
        losses, correct, seen = [], 0, 0
        for x, y in batches((train_x, train_y), args.batch_size, seed=args.seed + epoch):
            logits = model(x)
            loss = cross_entropy(logits, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            correct += int(numpy.sum(logits.numpy().argmax(axis=1) == y.numpy()))
            seen += len(y)
        print(f"epoch {epoch + 1}/{args.epochs}: loss {numpy.mean(losses):.4f}, "
              f"training accuracy {correct / seen:.4f}, "
              f"{time.perf_counter() - start:.0f} s", flush=True)
    seconds = time.perf_counter() - start

    # The test set, once: accuracy, and the reference statistics of the Fréchet distance.
    probs, feats = predict(test_x, model)
    test_accuracy = float(numpy.mean(probs.argmax(axis=1) == test_y))
    print(f"test accuracy {test_accuracy:.4f} on {len(test_y):,} images; training took "
          f"{seconds:.0f} s")

    tinygan.save({
        "format": WEIGHTS_FORMAT,
        "version": 1,
        "architecture": {"channels": list(model.channels), "hidden": model.hidden},
        "state_dict": {k: v.astype(numpy.float32) for k, v in model.state_dict().items()},
        "reference": {"mean": feats.mean(axis=0), "cov": numpy.cov(feats, rowvar=False),
                      "n": len(feats), "split": "test"},
        "info": {"test_accuracy": test_accuracy, "train_seconds": round(seconds, 1),
                 "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr,
                 "seed": args.seed, "parameters": int(n_params),
                 "dtype": str(backend.get_default_dtype())},
    }, out)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
