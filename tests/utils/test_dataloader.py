"""tinygan.utils.data (torch.utils.data's names) on the package's own loader: the batch order is
tinygan.data.batches' for the same generator, PyTorch's defaults and lengths hold, batches are
collated as PyTorch collates them, and bad arguments are refused with a reason."""

from __future__ import annotations

import numpy as np
import pytest

import tinygan
from tinygan.data import batches
from tinygan.utils.data import DataLoader, Dataset, Subset, TensorDataset, default_collate


def _data(n: int = 10):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n) % 4
    return x, y


def test_in_order_by_default_with_a_short_last_batch():
    x, y = _data()
    loader = DataLoader(TensorDataset(tinygan.tensor(x), tinygan.tensor(y)), batch_size=4)
    got = list(loader)
    assert len(loader) == len(got) == 3
    assert [b[0].shape for b in got] == [(4, 3), (4, 3), (2, 3)]
    assert isinstance(got[0], list)  # as PyTorch's default collate: a list per batch
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in got]), y)
    assert got[0][0].dtype == np.float32 and got[0][1].dtype == np.int64


def test_drop_last_and_len():
    x, y = _data(10)
    loader = DataLoader(TensorDataset(x, y), batch_size=4, drop_last=True)
    assert len(loader) == 2 and [b[0].shape[0] for b in loader] == [4, 4]


def test_shuffle_is_the_order_of_tinygan_data_batches():
    x, y = _data(11)
    ours = DataLoader(TensorDataset(x, y), batch_size=3, shuffle=True,
                      generator=np.random.default_rng(5))
    theirs = batches((x, y), 3, shuffle=True, drop_last=False, seed=5)
    for (xb, yb), (xa, ya) in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(xb.numpy(), xa.numpy())
        np.testing.assert_array_equal(yb.numpy(), ya.numpy())


def test_shuffle_uses_the_seeded_generator_and_reshuffles_each_epoch():
    x, _ = _data(12)
    loader = DataLoader(TensorDataset(x), batch_size=12, shuffle=True)
    tinygan.manual_seed(3)
    first, second = (next(iter(loader))[0].numpy() for _ in range(2))
    tinygan.manual_seed(3)
    again = next(iter(loader))[0].numpy()
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(np.sort(first[:, 0]), x[:, 0])


class Squares(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return {"x": np.full(2, float(i)), "i": i, "w": i / 2}, (i, float(i))


def test_a_dataset_of_dicts_and_tuples_collates_as_torch():
    torch = pytest.importorskip("torch")
    import torch.utils.data as tud

    class TorchSquares(tud.Dataset):
        __len__ = Squares.__len__
        __getitem__ = Squares.__getitem__

    ours = list(DataLoader(Squares(), batch_size=2))
    theirs = list(tud.DataLoader(TorchSquares(), batch_size=2))
    assert len(ours) == len(theirs) == 3
    for (od, ot), (td, tt) in zip(ours, theirs):
        for key in ("x", "i", "w"):
            assert od[key].dtype == np.dtype(str(td[key].dtype).replace("torch.", "")), key
            np.testing.assert_array_equal(od[key].numpy(), td[key].numpy())
        assert isinstance(ot, list) and [t.tolist() for t in ot] == [t.tolist() for t in tt]
    del torch


def test_subset_collate_fn_and_worker_options():
    x, _ = _data(6)
    seen = []
    loader = DataLoader(Subset(TensorDataset(x), [5, 0]), batch_size=2, num_workers=4,
                        pin_memory=True, collate_fn=lambda b: seen.append(len(b)) or b)
    (batch,) = list(loader)
    assert seen == [2] and batch[0][0].tolist() == x[5].tolist()


def test_default_collate_of_tensors_and_strings():
    out = default_collate([tinygan.ones(2), tinygan.zeros(2)])
    assert out.shape == (2, 2)
    assert default_collate(["a", "b"]) == ["a", "b"]
    with pytest.raises(ValueError, match="different lengths"):
        default_collate([(1, 2), (1,)])


def test_bad_arguments_are_refused():
    x, y = _data(4)
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(TensorDataset(x), batch_size=0)
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        DataLoader(TensorDataset(x), generator=7)
    with pytest.raises(ValueError, match="same first axis"):
        TensorDataset(x, y[:3])
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]


def test_samplers_are_refused_not_ignored():
    x, _ = _data(4)
    with pytest.raises(TypeError, match="sampler not supported"):
        DataLoader(TensorDataset(x), sampler=[0, 1])
    DataLoader(TensorDataset(x), timeout=0, persistent_workers=False)  # no effect, accepted
