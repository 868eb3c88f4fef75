"""tinygan.save / tinygan.load: round trips, atomic writes, and every kind of bad file."""

from __future__ import annotations

import json
import os
import time
import zipfile

import numpy as np
import pytest

import tinygan
from tinygan import optim, serialization
from tinygan.serialization import CheckpointError


def assert_same(a, b) -> None:
    """Deep equality with types: arrays by dtype, shape and values; containers by type."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert type(k) is type(next(kk for kk in b if kk == k))
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


def test_round_trip_of_nested_structures(tmp_path):
    rng = np.random.default_rng(0)
    obj = {
        "f32": rng.standard_normal((2, 3)).astype(np.float32),
        "f64": rng.standard_normal(4),
        "f16": np.arange(3, dtype=np.float16),
        "i64": np.arange(6).reshape(2, 3),
        "u8": np.array([0, 255], dtype=np.uint8),
        "bool": np.array([True, False]),
        "c128": np.array([1 + 2j]),
        "zero_d": np.array(3.5),
        "empty_array": np.zeros((0, 4), dtype=np.float32),
        "fortran": np.asfortranarray(rng.standard_normal((3, 2))),
        "np_scalar": np.float32(1.25),
        "plain": [1, -2**70, 2.5, float("nan"), float("inf"), "text ünïcode", True, False, None],
        "tuple": (0.5, 0.999),
        "empty": {"dict": {}, "list": [], "tuple": ()},
        "nested": {"a": [{"b": [np.ones(2)]}]},
        0: "an int key", 7: {1: np.zeros(1)},
    }
    path = tmp_path / "ckpt.npz"
    tinygan.save(obj, path)
    back = tinygan.load(path)
    assert_same(obj, back)
    # It is an ordinary .npz: numpy can list it without tinygan.
    with np.load(path, allow_pickle=False) as npz:
        assert "__tinygan__" in npz.files


def test_top_level_plain_values_and_tensors(tmp_path):
    for obj in (None, 3, "x", [], {}):
        tinygan.save(obj, tmp_path / "a.npz")
        assert_same(obj, tinygan.load(tmp_path / "a.npz"))
    t = tinygan.tensor([1.0, 2.0], requires_grad=True)
    tinygan.save({"t": t}, tmp_path / "t.npz")
    back = tinygan.load(tmp_path / "t.npz")["t"]  # Tensors come back as their arrays
    assert isinstance(back, np.ndarray) and back.dtype == np.float32
    np.testing.assert_array_equal(back, t.numpy())


def test_a_training_checkpoint_round_trip(tmp_path):
    """Module state + optimizer state + step + config, then resume both."""
    params = [tinygan.Tensor(np.full((2, 2), 0.5, dtype=np.float32), requires_grad=True),
              tinygan.Tensor(np.zeros(2, dtype=np.float32), requires_grad=True)]
    opt = optim.Adam([{"params": params[:1]}, {"params": params[1:], "lr": 0.1}],
                     lr=2e-4, betas=(0.5, 0.999))
    for p in params:
        p.grad = np.ones_like(p.data)
    opt.step()
    ckpt = {"model": {"0.weight": params[0], "0.bias": params[1].data},
            "optimizer": opt.state_dict(), "step": 1,
            "config": {"setup": "gauss1d", "betas": (0.5, 0.999), "lr": 2e-4}}
    tinygan.save(ckpt, tmp_path / "train.npz")
    back = tinygan.load(tmp_path / "train.npz")
    assert back["step"] == 1 and back["config"] == ckpt["config"]
    assert back["model"]["0.weight"].dtype == np.float32
    assert_same(ckpt["optimizer"], back["optimizer"])  # int keys 0, 1 stay ints
    opt2 = optim.Adam([{"params": params[:1]}, {"params": params[1:]}])
    opt2.load_state_dict(back["optimizer"])
    assert opt2.param_groups[0]["betas"] == (0.5, 0.999)
    assert opt2.state[params[1]]["step"] == 1


def test_module_and_optimizer_checkpoint_with_nn_linear(tmp_path):
    nn = pytest.importorskip("tinygan.nn")
    tinygan.manual_seed(0)
    model = nn.Linear(3, 2)
    opt = optim.Adam(model.parameters(), lr=0.01)
    x = tinygan.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))

    def train(m, o, steps):
        for _ in range(steps):
            o.zero_grad()
            (m(x) ** 2).sum().backward()
            o.step()

    train(model, opt, 2)
    tinygan.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": 2},
                 tmp_path / "lin.npz")
    train(model, opt, 3)

    ckpt = tinygan.load(tmp_path / "lin.npz")
    tinygan.manual_seed(1)  # a differently initialised model: everything must come from the file
    model2 = nn.Linear(3, 2)
    model2.load_state_dict(ckpt["model"])
    opt2 = optim.Adam(model2.parameters())
    opt2.load_state_dict(ckpt["opt"])
    train(model2, opt2, 3)
    for (name, p), (_, q) in zip(model.named_parameters(), model2.named_parameters()):
        assert p.data.dtype == q.data.dtype == np.float32
        np.testing.assert_array_equal(p.numpy(), q.numpy(), err_msg=name)


def test_save_refuses_what_it_cannot_store_safely(tmp_path):
    path = tmp_path / "x.npz"
    with pytest.raises(TypeError, match=r"obj\['a'\]\[1\].*of type object"):
        tinygan.save({"a": [1, object()]}, path)
    with pytest.raises(TypeError, match="array of Python objects"):
        tinygan.save({"a": np.array([{}, None], dtype=object)}, path)
    with pytest.raises(TypeError, match="keys must be str or int"):
        tinygan.save({(1, 2): 3}, path)
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        tinygan.save(loop, path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        tinygan.save({}, tmp_path / "no_such_folder" / "x.npz")
    assert not path.exists()


# -- atomicity ----------------------------------------------------------------------------------


def _old_checkpoint(tmp_path):
    path = tmp_path / "ckpt.npz"
    tinygan.save({"w": np.arange(5.0), "step": 10}, path)
    return path, path.read_bytes()


def test_crash_at_rename_leaves_old_checkpoint_and_no_temp_file(tmp_path, monkeypatch):
    path, before = _old_checkpoint(tmp_path)

    def crash(src, dst):
        raise KeyboardInterrupt("killed during save")

    monkeypatch.setattr(serialization.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        tinygan.save({"w": np.zeros(1000), "step": 11}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert tinygan.load(path)["step"] == 10
    assert os.listdir(tmp_path) == ["ckpt.npz"]


def test_crash_halfway_through_writing_leaves_old_checkpoint(tmp_path, monkeypatch):
    path, before = _old_checkpoint(tmp_path)
    written = []

    def half_write(f, **arrays):
        f.write(b"PK\x03\x04 half a checkpoint")
        written.append(f.name)
        raise OSError("disk full")

    monkeypatch.setattr(serialization.numpy, "savez", half_write)
    with pytest.raises(OSError, match="disk full"):
        tinygan.save({"w": np.ones(3)}, path)
    monkeypatch.undo()
    assert written  # the writer really ran, on a temporary file, not on the checkpoint
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.npz"]


def test_save_replaces_and_keeps_permissions(tmp_path):
    path, _ = _old_checkpoint(tmp_path)
    os.chmod(path, 0o640)
    tinygan.save({"step": 11}, path)
    assert tinygan.load(path) == {"step": 11}
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert os.listdir(tmp_path) == ["ckpt.npz"]


# -- bad files ----------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        tinygan.load(tmp_path / "nope.npz")


@pytest.mark.parametrize("keep", [0.0, 0.3, 0.6, 0.95])
def test_truncated_file(tmp_path, keep):
    path, data = _old_checkpoint(tmp_path)
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(CheckpointError, match=r"ckpt\.npz.*(empty|truncated|corrupted)"):
        tinygan.load(path)


def _member_data_bytes(path) -> set[int]:
    """Offsets of the members' stored bytes (the .npy files) inside the zip archive."""
    data = path.read_bytes()
    offsets: set[int] = set()
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            h = info.header_offset  # local header: 30 bytes, then the name and an extra field
            name_len, extra_len = np.frombuffer(data[h + 26 : h + 30], dtype="<u2")
            first = h + 30 + int(name_len) + int(extra_len)
            offsets.update(range(first, first + info.compress_size))
    return offsets


def test_corrupted_bytes_anywhere_are_caught(tmp_path):
    path, data = _old_checkpoint(tmp_path)
    in_members = _member_data_bytes(path)
    assert len(in_members) > 300
    # Flip one byte at a time over the whole file. A flip in the stored arrays or manifest must
    # give a CheckpointError naming the file. Elsewhere it may land in a field that zip readers
    # ignore (a timestamp, the local copy of the sizes): then the contents must still be right.
    # Never wrong data, never another kind of error.
    for i in range(0, len(data), 3):
        bad = bytearray(data)
        bad[i] ^= 0xFF
        path.write_bytes(bytes(bad))
        try:
            back = tinygan.load(path)
        except CheckpointError as exc:
            assert "ckpt.npz" in str(exc)
        else:
            assert i not in in_members, f"a flipped byte at offset {i} went unnoticed"
            assert back["step"] == 10
            assert_same(back["w"], np.arange(5.0))


def test_corrupted_array_data_is_a_crc_error(tmp_path):
    path = tmp_path / "ckpt.npz"
    tinygan.save({"w": np.zeros(1000)}, path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # in the middle of w's 8000 bytes
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"ckpt\.npz.*corrupted.*CRC"):
        tinygan.load(path)


def test_foreign_npz(tmp_path):
    path = tmp_path / "weights.npz"
    np.savez(path, W=np.ones(3), b=np.zeros(1))
    with pytest.raises(CheckpointError, match=r"weights\.npz.*not a tinygan checkpoint.*W, b"):
        tinygan.load(path)


def test_text_file_and_foreign_zip(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello, this is not a checkpoint\n" * 20)
    with pytest.raises(CheckpointError, match=r"notes\.txt.*not an \.npz"):
        tinygan.load(path)
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("__tinygan__.npy", "not an array")
    with pytest.raises(CheckpointError, match=r"other\.zip"):
        tinygan.load(path)


def _write_manifest(path, manifest, **arrays):
    text = json.dumps(manifest).encode()
    np.savez(path, __tinygan__=np.frombuffer(text, dtype=np.uint8), **arrays)


def test_newer_version_and_foreign_format(tmp_path):
    path = tmp_path / "future.npz"
    _write_manifest(path, {"format": "tinygan-checkpoint", "version": 2, "root": {"value": 1}})
    with pytest.raises(CheckpointError, match=r"future\.npz.*newer tinygan.*version 2"):
        tinygan.load(path)
    _write_manifest(path, {"format": "something-else", "version": 1, "root": {"value": 1}})
    with pytest.raises(CheckpointError, match="not a tinygan checkpoint"):
        tinygan.load(path)
    _write_manifest(path, {"format": "tinygan-checkpoint", "version": 1,
                           "root": {"array": "arr_9"}})
    with pytest.raises(CheckpointError, match="does not contain"):
        tinygan.load(path)
    np.savez(path, __tinygan__=np.frombuffer(b"\xff{not json", dtype=np.uint8))
    with pytest.raises(CheckpointError, match="manifest cannot be read"):
        tinygan.load(path)


class _Payload:
    """Unpickling this would create a file: proof that code ran while loading."""

    marker = ""

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_allow_pickle_false_is_honoured(tmp_path):
    # A hand-made file whose manifest points at an object array holding a pickle: loading must
    # refuse it without unpickling (the marker file must never appear).
    marker = tmp_path / "code_ran"
    payload = _Payload()
    payload.marker = str(marker)
    path = tmp_path / "evil.npz"
    _write_manifest(path, {"format": "tinygan-checkpoint", "version": 1,
                           "root": {"array": "arr_0"}},
                    arr_0=np.array([payload], dtype=object))
    with pytest.raises(CheckpointError, match=r"evil\.npz.*allow_pickle"):
        tinygan.load(path)
    assert not marker.exists()
    # The manifest itself cannot be an object array either.
    np.savez(path, __tinygan__=np.array([payload], dtype=object))
    with pytest.raises(CheckpointError, match="allow_pickle"):
        tinygan.load(path)
    assert not marker.exists()


def test_device_arrays_are_saved_from_and_loaded_to_a_device(tmp_path, fake_cuda):
    x = fake_cuda.asarray(np.arange(6, dtype=np.float32).reshape(2, 3))
    t = tinygan.Tensor(fake_cuda.asarray(np.ones(2)), requires_grad=True)
    path = tmp_path / "dev.npz"
    tinygan.save({"x": x, "t": t, "n": 3}, path)  # explicit device-to-host copies
    host = tinygan.load(path)
    assert isinstance(host["x"], np.ndarray) and host["x"].dtype == np.float32
    np.testing.assert_array_equal(host["x"], np.arange(6).reshape(2, 3))
    on_dev = tinygan.load(path, device="cuda")
    assert isinstance(on_dev["x"], fake_cuda.ndarray) and isinstance(on_dev["t"], fake_cuda.ndarray)
    np.testing.assert_array_equal(fake_cuda.asnumpy(on_dev["t"]), np.ones(2))
    assert on_dev["n"] == 3


# -- bounds of load, and what save leaves behind (issue 11) -------------------------------------


def test_a_deeply_nested_manifest_is_refused_not_a_recursion_error(tmp_path):
    path = tmp_path / "deep.npz"
    for levels in (100, 500, 100_000):  # within json's own limit, and far beyond it
        root = '{"list": [' * levels + '{"value": 1}' + "]}" * levels
        text = '{"format": "tinygan-checkpoint", "version": 1, "root": ' + root + "}"
        np.savez(path, __tinygan__=np.frombuffer(text.encode(), dtype=np.uint8))
        with pytest.raises(CheckpointError, match=r"deep\.npz.*nests deeper than 64 levels"):
            tinygan.load(path)
    nested: list = []
    for _ in range(100):
        nested = [nested]
    with pytest.raises(ValueError, match="nested more than 64 levels"):
        tinygan.save(nested, path)


def _zip_bomb(path, n_bytes):
    """A checkpoint whose one array member is n_bytes of zeros, deflated to almost nothing."""
    import io

    manifest = json.dumps({"format": "tinygan-checkpoint", "version": 1,
                           "root": {"array": "arr_0"}}).encode()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, array in (("__tinygan__", np.frombuffer(manifest, dtype=np.uint8)),):
            buf = io.BytesIO()
            np.save(buf, array)
            zf.writestr(name + ".npy", buf.getvalue())
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            header, {"descr": "<f8", "fortran_order": False, "shape": (n_bytes // 8,)})
        with zf.open("arr_0.npy", "w", force_zip64=True) as member:
            member.write(header.getvalue())
            chunk = bytes(1 << 20)
            for _ in range(n_bytes >> 20):
                member.write(chunk)


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    path = tmp_path / "bomb.npz"
    _zip_bomb(path, 64 << 20)  # 64 MiB of zeros in a file of about 64 KB
    assert path.stat().st_size < 1 << 20
    with pytest.raises(CheckpointError, match=r"bomb\.npz.*arr_0.*would unpack to"):
        tinygan.load(path)


def test_a_header_that_lies_about_the_shape_is_refused(tmp_path):
    import io

    path = tmp_path / "liar.npz"
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (1 << 30,)})  # 4 GiB
    manifest = json.dumps({"format": "tinygan-checkpoint", "version": 1,
                           "root": {"array": "arr_0"}}).encode()
    buf = io.BytesIO()
    np.save(buf, np.frombuffer(manifest, dtype=np.uint8))
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("__tinygan__.npy", buf.getvalue())
        zf.writestr("arr_0.npy", header.getvalue() + bytes(16))
    with pytest.raises(CheckpointError, match=r"liar\.npz.*declares shape \(1073741824,\)"):
        tinygan.load(path)


def test_only_the_members_the_manifest_names_are_read(tmp_path, monkeypatch):
    path = tmp_path / "extra.npz"
    _write_manifest(path, {"format": "tinygan-checkpoint", "version": 1,
                           "root": {"dict": [["w", {"array": "arr_0"}]]}},
                    arr_0=np.arange(3.0), unnamed=np.zeros(10), also=np.ones(2))
    opened = []
    real_open = zipfile.ZipFile.open

    def spy(self, name, *args, **kwargs):
        opened.append(getattr(name, "filename", name))
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    back = tinygan.load(path)
    np.testing.assert_array_equal(back["w"], np.arange(3.0))
    assert sorted(opened) == ["__tinygan__.npy", "arr_0.npy"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")
def test_a_fifo_and_a_device_are_refused_without_waiting(tmp_path):
    fifo = tmp_path / "ckpt.npz"
    os.mkfifo(fifo)
    with pytest.raises(CheckpointError, match=r"ckpt\.npz.*FIFO"):
        tinygan.load(fifo)  # no writer: opening it normally would wait for ever
    if os.path.exists("/dev/zero"):
        with pytest.raises(CheckpointError, match="character device"):
            tinygan.load("/dev/zero")
    with pytest.raises(CheckpointError, match="a folder"):
        tinygan.load(tmp_path)


def test_save_honours_the_umask(tmp_path):
    old = os.umask(0o077)
    try:
        tinygan.save({"step": 1}, tmp_path / "private.npz")
        (tmp_path / "other.txt").write_text("x")  # any other file the program writes
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "private.npz").st_mode & 0o777 == 0o600
    assert os.stat(tmp_path / "other.txt").st_mode & 0o777 == 0o600
    os.umask(0o022)
    try:
        tinygan.save({"step": 1}, tmp_path / "public.npz")
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "public.npz").st_mode & 0o777 == 0o644


def test_a_killed_saves_temporary_file_is_removed_by_the_next_save(tmp_path):
    path, _ = _old_checkpoint(tmp_path)
    stale = tmp_path / ".ckpt.npz.k1ll3d0x.tmp"
    stale.write_bytes(b"PK\x03\x04" + bytes(1000))  # what kill -9 during a save leaves
    fresh = tmp_path / ".ckpt.npz.w0rk1ng0.tmp"  # another save, under way right now
    fresh.write_bytes(b"PK")
    other = tmp_path / ".other.npz.k1ll3d0x.tmp"  # another checkpoint's: not ours to remove
    other.write_bytes(b"PK")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    tinygan.save({"step": 11}, path)
    assert sorted(os.listdir(tmp_path)) == [".ckpt.npz.w0rk1ng0.tmp", ".other.npz.k1ll3d0x.tmp",
                                            "ckpt.npz"]
    assert tinygan.load(path) == {"step": 11}
