"""tinygan.optim: SGD and Adam against torch.optim step for step, state_dict, parameter groups."""

from __future__ import annotations

import numpy as np
import pytest

import tinygan
from tinygan import optim

SHAPES = [(3, 4), (4,), ()]


def make_params(seed: int = 0, dtype=np.float64) -> list[tinygan.Tensor]:
    rng = np.random.default_rng(seed)
    return [tinygan.Tensor(rng.standard_normal(s).astype(dtype), requires_grad=True)
            for s in SHAPES]


def fake_grad(x: np.ndarray, step: int) -> np.ndarray:
    """A deterministic gradient that depends on the parameter and the step (not just noise)."""
    return np.sin(3.0 * x + step) + 0.3 * x**2 - 0.1 * step


def set_grads(params, step: int, skip: int | None = None) -> None:
    # The 0-d parameter's grad comes out as a NumPy scalar, not an array: step() must cope.
    for i, p in enumerate(params):
        p.grad = None if i == skip else fake_grad(p.data, step)


def run_tinygan(params, opt, steps: int, skip_at: int | None = None) -> None:
    for t in range(steps):
        opt.zero_grad()
        set_grads(params, t, skip=1 if t == skip_at else None)
        opt.step()


def run_torch(torch, params, opt, steps: int, skip_at: int | None = None) -> None:
    for t in range(steps):
        opt.zero_grad()
        for i, p in enumerate(params):
            if not (t == skip_at and i == 1):
                p.grad = torch.from_numpy(np.asarray(fake_grad(p.detach().numpy(), t)))
        opt.step()


def assert_close_to_torch(ours, theirs) -> None:
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-12, atol=1e-14)


SGD_CASES = {
    "plain": {"lr": 0.1},
    "momentum": {"lr": 0.05, "momentum": 0.9},
    "dampening": {"lr": 0.05, "momentum": 0.8, "dampening": 0.3},
    "nesterov": {"lr": 0.05, "momentum": 0.9, "nesterov": True},
    "weight_decay": {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1},
    "nesterov_wd": {"lr": 0.02, "momentum": 0.7, "nesterov": True, "weight_decay": 0.01},
    "maximize": {"lr": 0.05, "momentum": 0.9, "maximize": True},
}

ADAM_CASES = {
    "default": {},
    "gan_betas": {"lr": 2e-4, "betas": (0.5, 0.999)},
    "weight_decay": {"lr": 0.01, "weight_decay": 0.1},
    "amsgrad": {"lr": 0.01, "amsgrad": True},
    "amsgrad_wd": {"lr": 0.01, "betas": (0.8, 0.99), "amsgrad": True, "weight_decay": 0.05},
    "big_eps": {"lr": 0.1, "eps": 0.5},
    "maximize": {"lr": 0.01, "maximize": True},
}


def _cross_check(name: str, kwargs: dict, skip_at: int | None = None) -> None:
    torch = pytest.importorskip("torch")
    params = make_params()
    tparams = [torch.tensor(p.data, requires_grad=True) for p in params]
    run_tinygan(params, getattr(optim, name)(params, **kwargs), 8, skip_at)
    run_torch(torch, tparams, getattr(torch.optim, name)(tparams, **kwargs), 8, skip_at)
    assert_close_to_torch(params, tparams)


@pytest.mark.parametrize("case", sorted(SGD_CASES))
def test_sgd_matches_torch(case):
    _cross_check("SGD", SGD_CASES[case])


@pytest.mark.parametrize("case", sorted(ADAM_CASES))
def test_adam_matches_torch(case):
    _cross_check("Adam", ADAM_CASES[case])


@pytest.mark.parametrize("name,kwargs", [("SGD", SGD_CASES["momentum"]),
                                         ("Adam", ADAM_CASES["amsgrad"])])
def test_params_without_grad_are_skipped_as_in_torch(name, kwargs):
    # At step 3 the second parameter has no gradient: it must not move, and its state (momentum,
    # Adam's step count) must not advance, exactly as in torch.
    _cross_check(name, kwargs, skip_at=3)


def test_param_groups_match_torch():
    torch = pytest.importorskip("torch")
    params = make_params()
    tparams = [torch.tensor(p.data, requires_grad=True) for p in params]

    def groups(ps):
        return [{"params": ps[:2], "lr": 0.05, "betas": (0.5, 0.999)},
                {"params": [ps[2]], "weight_decay": 0.1}]

    opt = optim.Adam(groups(params), lr=0.01)
    assert opt.param_groups[0]["lr"] == 0.05 and opt.param_groups[1]["lr"] == 0.01
    assert opt.param_groups[1]["betas"] == (0.9, 0.999)
    run_tinygan(params, opt, 6)
    run_torch(torch, tparams, torch.optim.Adam(groups(tparams), lr=0.01), 6)
    assert_close_to_torch(params, tparams)


def test_changing_lr_in_a_group_takes_effect_as_in_torch():
    torch = pytest.importorskip("torch")
    params = make_params()
    tparams = [torch.tensor(p.data, requires_grad=True) for p in params]
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    topt = torch.optim.SGD(tparams, lr=0.1, momentum=0.9)
    run_tinygan(params, opt, 3)
    run_torch(torch, tparams, topt, 3)
    opt.param_groups[0]["lr"] = 0.01
    topt.param_groups[0]["lr"] = 0.01
    run_tinygan(params, opt, 3)
    run_torch(torch, tparams, topt, 3)
    assert_close_to_torch(params, tparams)


@pytest.mark.parametrize("name,kwargs", [("SGD", SGD_CASES["nesterov"]),
                                         ("Adam", ADAM_CASES["amsgrad_wd"])])
def test_state_dict_round_trip_mid_training_continues_identically(name, kwargs, tmp_path):
    params = make_params()
    opt = getattr(optim, name)(params, **kwargs)
    run_tinygan(params, opt, 4)
    snapshot = opt.state_dict()
    # Through a checkpoint file too, as a training run would resume.
    tinygan.save({"params": [p.data for p in params], "opt": snapshot}, tmp_path / "c.npz")
    ckpt = tinygan.load(tmp_path / "c.npz")

    frozen = {i: {k: np.copy(v) for k, v in s.items()} for i, s in snapshot["state"].items()}
    run_tinygan(params, opt, 4)  # the original keeps going...
    for i, s in snapshot["state"].items():  # ...and the snapshot is a copy, not a live view
        for k, v in s.items():
            np.testing.assert_array_equal(v, frozen[i][k], err_msg=f"state[{i}][{k!r}]")

    resumed = [tinygan.Tensor(a.copy(), requires_grad=True) for a in ckpt["params"]]
    opt2 = getattr(optim, name)(resumed, lr=123.0)  # options come back from the state dict
    opt2.load_state_dict(ckpt["opt"])
    assert opt2.param_groups[0]["lr"] == kwargs["lr"]
    run_tinygan(resumed, opt2, 4)  # ...and the restored one must follow the same path
    for p, q in zip(params, resumed):
        np.testing.assert_array_equal(p.data, q.data)


def test_state_dict_layout_is_pytorchs():
    params = make_params()
    opt = optim.Adam([{"params": params[:1]}, {"params": params[1:], "lr": 0.1}])
    run_tinygan(params, opt, 2)
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1, 2]]
    assert sorted(sd["state"]) == [0, 1, 2]
    assert set(sd["state"][1]) == {"step", "exp_avg", "exp_avg_sq"} and sd["state"][1]["step"] == 2
    assert sd["param_groups"][1]["lr"] == 0.1
    torch = pytest.importorskip("torch")
    tparams = [torch.zeros(p.shape, dtype=torch.float64, requires_grad=True) for p in params]
    topt = torch.optim.Adam([{"params": tparams[:1]}, {"params": tparams[1:], "lr": 0.1}])
    run_torch(torch, tparams, topt, 2)
    tsd = topt.state_dict()
    assert set(tsd["state"][1]) == set(sd["state"][1])
    assert [g["params"] for g in tsd["param_groups"]] == [[0], [1, 2]]


def test_load_state_dict_rejects_mismatches():
    params = make_params()
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    run_tinygan(params, opt, 1)
    sd = opt.state_dict()
    with pytest.raises(ValueError, match="3 parameters, this optimizer's has 2"):
        optim.SGD(params[:2], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="has 1 parameter groups, this optimizer has 2"):
        optim.SGD([{"params": params[:1]}, {"params": params[1:]}], lr=0.1).load_state_dict(sd)
    other = [tinygan.Tensor(np.zeros((5,)), requires_grad=True), *params[1:]]
    with pytest.raises(ValueError, match=r"has shape \(3, 4\), the parameter has shape \(5,\)"):
        optim.SGD(other, lr=0.1).load_state_dict(sd)
    sd["param_groups"][0]["lr"] = -1.0
    fresh = optim.SGD(params, lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="lr must be >= 0"):
        fresh.load_state_dict(sd)
    assert fresh.param_groups[0]["lr"] == 0.1 and not fresh.state  # left as it was


def test_float32_stays_float32():
    params = make_params(dtype=np.float32)
    for opt in (optim.Adam(params, lr=0.01, weight_decay=0.1, amsgrad=True),
                optim.SGD(params, lr=0.01, momentum=0.9, weight_decay=0.1)):
        for t in range(3):
            for p in params:  # a float64 gradient must not leak float64 into the update
                p.grad = fake_grad(p.data.astype(np.float64), t)
            opt.step()
        assert all(p.data.dtype == np.float32 for p in params)
        for state in opt.state.values():
            for v in state.values():
                assert not isinstance(v, np.ndarray) or v.dtype == np.float32


def test_updates_are_in_place():
    params = make_params()
    arrays = [p.data for p in params]
    opt = optim.Adam(params, lr=0.1)
    run_tinygan(params, opt, 2)
    assert all(p.data is a for p, a in zip(params, arrays))


@pytest.mark.parametrize("make_opt", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    lambda ps: optim.Adam(ps, lr=0.1),
], ids=["sgd_momentum", "sgd_nesterov", "adam"])
def test_minimises_a_quadratic(make_opt):
    # f(x, y) = sum(scale * (x - c)^2) + (y + 1)^2, through tinygan's own autograd (no torch).
    c = tinygan.tensor(np.array([1.0, -2.0, 3.0]))
    scale = tinygan.tensor(np.array([1.0, 4.0, 0.5]))
    x = tinygan.tensor(np.zeros(3), requires_grad=True)  # on the default device
    y = tinygan.tensor(np.array(5.0), requires_grad=True)
    opt = make_opt([x, y])
    losses = []
    for _ in range(300):
        opt.zero_grad()
        loss = (scale * (x - c) ** 2).sum() + (y + 1.0) ** 2
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 1e-6 * losses[0]
    np.testing.assert_allclose(x.numpy(), c.numpy(), atol=1e-3)
    np.testing.assert_allclose(y.numpy(), -1.0, atol=1e-3)


def test_zero_grad():
    params = make_params()
    opt = optim.SGD(params)
    set_grads(params, 0)
    shared = params[0].grad
    opt.zero_grad(set_to_none=False)
    assert all(np.all(p.grad == 0) for p in params)
    assert np.any(shared != 0)  # a fresh array: an array that the grad shared is untouched
    opt.zero_grad()
    assert all(p.grad is None for p in params)


def test_bad_arguments_get_clear_errors():
    params = make_params()
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([])
    with pytest.raises(TypeError, match="single Tensor"):
        optim.Adam(params[0])
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.SGD([np.zeros(3)])
    with pytest.raises(ValueError, match="lr must be >= 0"):
        optim.SGD(params, lr=-1.0)
    with pytest.raises(ValueError, match="Nesterov momentum requires"):
        optim.SGD(params, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="betas must be two numbers"):
        optim.Adam(params, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="more than once"):
        optim.Adam([{"params": params[:2]}, {"params": params[1:]}])
    with pytest.raises(ValueError, match="unknown option"):
        optim.Adam([{"params": params, "momentum": 0.9}])
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([params[0] * 2.0])
    opt = optim.SGD(params[:1], lr=0.1)
    params[0].grad = np.zeros((2, 2))
    with pytest.raises(ValueError, match=r"shape \(3, 4\) has a grad of shape \(2, 2\)"):
        opt.step()


def test_step_returns_the_closure_loss():
    x = tinygan.Tensor(np.array([2.0]), requires_grad=True)
    opt = optim.SGD([x], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 4.0 and x.data[0] == 1.0  # x - lr * 2x = 2 - 0.25 * 4


@pytest.mark.parametrize("name,kwargs", [("SGD", SGD_CASES["nesterov_wd"]),
                                         ("Adam", ADAM_CASES["amsgrad_wd"])])
def test_device_arrays_stay_on_the_device(name, kwargs, fake_cuda):
    # On the CuPy double every update must run with xp = the device's module: any NumPy call,
    # implicit host copy or host/device mix raises. The numbers must equal the CPU run's.
    cpu = make_params(dtype=np.float32)
    dev = [tinygan.Tensor(fake_cuda.asarray(p.data), requires_grad=True) for p in cpu]
    opt_cpu, opt_dev = getattr(optim, name)(cpu, **kwargs), getattr(optim, name)(dev, **kwargs)
    for t in range(3):
        for p, q in zip(cpu, dev):
            p.grad = np.asarray(fake_grad(p.data, t))
            q.grad = fake_cuda.asarray(p.grad)
        opt_cpu.step()
        opt_dev.step()
    for p, q in zip(cpu, dev):
        assert isinstance(q.data, fake_cuda.ndarray) and q.data.dtype == np.float32
        np.testing.assert_array_equal(p.data, fake_cuda.asnumpy(q.data))
    for state in opt_dev.state.values():
        assert all(isinstance(v, (int, fake_cuda.ndarray)) for v in state.values())
    # A host state dict (as tinygan.load gives) is put onto the parameters' device.
    host_sd = opt_cpu.state_dict()
    opt_dev.load_state_dict(host_sd)
    assert all(isinstance(v, (int, fake_cuda.ndarray))
               for s in opt_dev.state.values() for v in s.values())


class _OneByOneAdam(optim.Adam):
    """Adam with every parameter updated on its own (the base class's group update)."""

    _update_group = optim.Optimizer._update_group


def test_adam_updates_small_parameters_together_to_the_same_bits(monkeypatch):
    """Adam's small parameters go through one flat update (kernels.adam_update_many_) from
    their second step on, those at the same step count together; the numbers are those of
    updating each on its own, to the bit, also after a parameter missed a step."""
    from tinygan.ops import kernels

    calls = []
    many = kernels.adam_update_many_
    monkeypatch.setattr(kernels, "adam_update_many_",
                        lambda params, *a: calls.append(len(params)) or many(params, *a))
    rng = np.random.default_rng(3)
    shapes = [(3, 4), (4,), (300, 300), (1,), (5, 2)]  # (300, 300): more than one cache block
    starts = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    nets = [[tinygan.nn.Parameter(tinygan.tensor(a.copy())) for a in starts] for _ in range(2)]
    opts = [optim.Adam(nets[0], lr=0.01, betas=(0.5, 0.999)),
            _OneByOneAdam(nets[1], lr=0.01, betas=(0.5, 0.999))]
    for step in range(6):
        grads = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        for params, opt in zip(nets, opts):
            for i, (p, g) in enumerate(zip(params, grads)):
                p.grad = None if (step == 3 and i == 1) else g.copy()
            opt.step()
        for a, b in zip(*nets):
            np.testing.assert_array_equal(a.data, b.data)
    # the four small ones together; three at step 3 and after it (the one that missed it is a
    # step behind, alone)
    assert calls == [4, 4, 3, 3, 3]
    states = [opt.state_dict()["state"] for opt in opts]
    assert states[0].keys() == states[1].keys()
    for i in states[0]:
        for key in ("step", "exp_avg", "exp_avg_sq"):
            np.testing.assert_array_equal(states[0][i][key], states[1][i][key])
