"""The checking tools of tinygan.course: each passes a right answer, catches the usual wrong ones
with a message a student can act on, and lets no bare exception out."""

from __future__ import annotations

import numpy as np
import pytest

import tinygan
from tinygan import Function, unbroadcast
from tinygan.course import (
    ExerciseFailed,
    check_backward,
    check_choice,
    check_close,
    check_frozen,
    check_function,
    check_shape,
    passed,
    student_code,
)

pytestmark = pytest.mark.course

NAME = "Exercise 9.9"


def fails(match: str):
    """pytest.raises for ExerciseFailed whose message starts with the name and contains match."""
    return pytest.raises(ExerciseFailed, match=rf"^{NAME}: .*{match}")


def stub(*args, **kwargs):
    """What nbgrader leaves in an unanswered cell."""
    raise NotImplementedError("not answered yet")


def raises_value_error(*args, **kwargs):
    raise ValueError("shapes (3,) and (4,) not aligned")


# -- the guard ---------------------------------------------------------------------------------


def test_student_code_turns_the_stub_into_not_answered_yet() -> None:
    with pytest.raises(ExerciseFailed) as info, student_code(NAME):
        stub()
    assert str(info.value) == f"{NAME}: not answered yet - write your code in the cell above"
    assert info.value.__suppress_context__  # no "during handling" chain under the message


def test_student_code_names_the_exception_its_text_and_the_line() -> None:
    with pytest.raises(ExerciseFailed) as info, student_code(NAME):
        raises_value_error()
    message = str(info.value)
    assert message.startswith(f"{NAME}: your code raised ValueError: shapes (3,) and (4,)")
    assert 'raise ValueError("shapes (3,) and (4,) not aligned")' in message  # the line


def test_in_jupyter_the_failure_is_its_message_alone() -> None:
    lines = ExerciseFailed(f"{NAME}: expected 1, got 2")._render_traceback_()
    assert len(lines) == 1
    assert lines[0].endswith(f"ExerciseFailed\x1b[0m: {NAME}: expected 1, got 2")
    assert issubclass(ExerciseFailed, AssertionError)


def test_passed_prints_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    passed(NAME)
    passed(NAME, "because")
    assert capsys.readouterr().out == f"{NAME}: correct\n{NAME}: correct - because\n"


# -- check_close --------------------------------------------------------------------------------


def test_check_close_passes_a_right_answer(capsys: pytest.CaptureFixture[str]) -> None:
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    check_close(x + 1e-12, x, name=NAME)
    check_close(tinygan.tensor(x), tinygan.tensor(x), name=NAME)
    check_close(2.5, np.float64(2.5), name=NAME)
    check_close(lambda: x, x, name=NAME, explain="well done")
    out = capsys.readouterr().out.splitlines()
    assert out == [f"{NAME}: correct"] * 3 + [f"{NAME}: correct - well done"]


def test_check_close_names_the_first_wrong_element_and_both_values() -> None:
    want = np.arange(6.0).reshape(2, 3)
    got = want.copy()
    got[1, 2] = 7.5
    with fails(r"element \(1, 2\) is 7.5, expected 5 \(1 of 6 elements differ\)"):
        check_close(got, want, name=NAME)


def test_check_close_catches_a_sign_error_and_says_so() -> None:
    want = np.array([1.0, -2.0, 3.0])
    with fails("wrong sign"):
        check_close(-want, want, name=NAME)


def test_check_close_catches_a_wrong_shape() -> None:
    with fails(r"expected shape \(3, 1\), got shape \(3, 4\)"):
        check_close(np.ones((3, 4)), np.ones((3, 1)), name=NAME)
    with fails("expected a single number, got shape"):
        check_close(np.ones(1), 1.0, name=NAME)


@pytest.mark.parametrize(("answer", "match"), [
    (None, "your answer is None - did you forget to return it"),
    ("0.5", "expected a Tensor, an array or a number, got a str"),
    (np.array([np.nan, 1.0]), r"element \(0,\) is nan, expected 1"),
])
def test_check_close_catches_what_is_not_a_number(answer: object, match: str) -> None:
    with fails(match):
        check_close(answer, np.ones(2) if isinstance(answer, np.ndarray) else 0.5, name=NAME)


def test_check_close_wants_a_tensor_where_gradients_must_flow() -> None:
    with fails("expected a Tensor, got an array"):
        check_close(np.ones(3), tinygan.ones(3), name=NAME)


def test_check_close_reads_device_arrays(fake_cuda) -> None:
    x = tinygan.tensor([1.0, 2.0]).to("cuda")
    check_close(x.data, np.array([1.0, 2.0]), name=NAME)  # a raw device array
    check_close(x, tinygan.tensor([1.0, 2.0]), name=NAME)
    with fails(r"element \(1,\) is 2, expected 3"):
        check_close(x.data, np.array([1.0, 3.0]), name=NAME)


def test_check_close_float32_gets_float32_tolerances() -> None:
    want = np.array([1.0, 2.0])
    check_close(want.astype(np.float32) * np.float32(1 + 3e-6), want, name=NAME)
    with fails("element"):
        check_close(want * (1 + 3e-6), want, name=NAME)  # float64: rtol 1e-6


def test_check_close_with_callables_stub_and_exception() -> None:
    with fails("not answered yet"):
        check_close(stub, 1.0, name=NAME)
    with fails("your code raised ValueError: shapes"):
        check_close(raises_value_error, 1.0, name=NAME)


# -- check_function -----------------------------------------------------------------------------


def softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def inputs(rng: np.random.Generator) -> tuple[np.ndarray]:
    return (rng.normal(size=(4, 3)),)


def test_check_function_passes_a_right_answer(capsys: pytest.CaptureFixture[str]) -> None:
    check_function(lambda x: np.log1p(np.exp(x)), softplus, inputs, name=NAME)
    assert capsys.readouterr().out == f"{NAME}: correct\n"


def test_check_function_shows_the_inputs_of_the_failing_trial() -> None:
    with fails(r"on inputs of shape \(4, 3\) \(trial 1 of 5\): element \(0, 0\) is"):
        check_function(lambda x: np.log(np.exp(x)), softplus, inputs, name=NAME)


def test_check_function_names_an_exception_with_the_input_shapes() -> None:
    with fails(r"your function \(on inputs of shape \(4, 3\)\) raised ValueError: shapes"):
        check_function(raises_value_error, softplus, inputs, name=NAME)
    with fails("not answered yet - write your code in the cell above$"):
        check_function(stub, softplus, inputs, name=NAME)


def test_check_function_gives_each_side_its_own_copy() -> None:
    def clobbers(x: np.ndarray) -> np.ndarray:
        out = softplus(x)
        x[...] = 0.0  # a student function that writes into its input
        return out

    check_function(clobbers, softplus, inputs, name=NAME)


def test_check_function_compares_tuples_output_by_output() -> None:
    def ref(x: np.ndarray) -> tuple[np.ndarray, float]:
        return x.sum(axis=0), float(x.max())

    with fails(r"output 1: your answer is"):
        check_function(lambda x: (x.sum(axis=0), float(x.min())), ref, inputs, name=NAME)
    with fails("expected a tuple of 2 values"):
        check_function(lambda x: x.sum(axis=0), ref, inputs, name=NAME)


def test_check_function_works_on_tensors_and_wants_a_tensor_back() -> None:
    def ref(x: tinygan.Tensor) -> tinygan.Tensor:
        return (x * x).mean()

    def make(rng: np.random.Generator) -> tinygan.Tensor:
        return tinygan.tensor(rng.normal(size=5), dtype=np.float64)

    check_function(lambda x: (x ** 2).sum() / 5, ref, make, name=NAME)
    with fails("expected a Tensor, got a float"):
        check_function(lambda x: float((x.numpy() ** 2).mean()), ref, make, name=NAME)


# -- check_backward -----------------------------------------------------------------------------


class Mul(Function):
    """The right answer: d(ab)/da = b, d(ab)/db = a, each summed back to its input's shape."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return unbroadcast(grad * b, a.shape), unbroadcast(grad * a, b.shape)


class MulSignError(Mul):
    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return unbroadcast(grad * b, a.shape), -unbroadcast(grad * a, b.shape)


class MulNoUnbroadcast(Mul):
    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * b, grad * a


class MulOneGradient(Mul):
    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return (unbroadcast(grad * b, a.shape),)


class MulStub(Mul):
    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("not answered yet")


class MatMul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad @ b.T, a.T @ grad


class MatMulTransposed(MatMul):
    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad @ b, a.T @ grad  # b instead of b.T: right shape for square b, wrong values


class MatMulGradTransposed(MatMul):
    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return (grad @ b.T).T, a.T @ grad


rng = np.random.default_rng(0)
A, B = rng.normal(size=(3, 4)), rng.normal(size=(4,))
SQ1, SQ2 = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))


def mul(Op):
    return lambda a, b: Op.apply(a, b)


def test_check_backward_passes_a_right_backward(capsys: pytest.CaptureFixture[str]) -> None:
    check_backward(mul(Mul), A, B, name=NAME)
    check_backward(lambda a, b: MatMul.apply(a, b), A, rng.normal(size=(4, 2)), name=NAME)
    check_backward(mul(Mul), tinygan.tensor(A, dtype=np.float32), tinygan.tensor(B), name=NAME)
    assert capsys.readouterr().out == f"{NAME}: correct\n" * 3


def test_check_backward_catches_a_sign_error() -> None:
    with fails(r"the gradient for input 1 \(b\) is wrong at element \(0,\): your backward "
               r"gives .*, finite differences give .* \(4 of 4 elements wrong\) .*wrong sign"):
        check_backward(mul(MulSignError), A, B, name=NAME)


def test_check_backward_catches_a_transposed_matmul_gradient() -> None:
    with fails(r"input 0 \(a\) is wrong at element"):
        check_backward(mul(MatMulTransposed), SQ1, SQ2, name=NAME)
    with fails(r"input 0 \(a\) has shape \(4, 3\), but the input has shape \(3, 4\) - it is "
               r"transposed"):
        check_backward(mul(MatMulGradTransposed), A, rng.normal(size=(4, 2)), name=NAME)


def test_check_backward_catches_a_missing_unbroadcast() -> None:
    with fails(r"input 1 \(b\) has shape \(3, 4\), but the input has shape \(4,\) - the input "
               r"was broadcast .* unbroadcast\(grad, shape\)"):
        check_backward(mul(MulNoUnbroadcast), A, B, name=NAME)


def test_check_backward_catches_a_missing_gradient() -> None:
    with fails(r"no gradient reached input 1 \(b\)"):
        check_backward(mul(MulOneGradient), A, B, name=NAME)


def test_check_backward_stub_and_exceptions() -> None:
    with fails("not answered yet"):
        check_backward(mul(MulStub), A, B, name=NAME)

    class ForwardRaises(Mul):
        @staticmethod
        def forward(ctx, a, b):
            return a @ b  # (3, 4) @ (4, 2)... not here: b is (3,)

    with fails("your forward raised ValueError: matmul"):
        check_backward(mul(ForwardRaises), A, rng.normal(size=3), name=NAME)
    with fails("the function returned an array of shape .*, expected a Tensor"):
        check_backward(lambda a: a.data * 2, A, name=NAME)


def test_check_backward_wants_arrays_from_backward() -> None:
    class ReturnsTensor(Mul):
        @staticmethod
        def backward(ctx, grad):
            a, b = ctx.saved_tensors
            return tinygan.tensor(grad * b), tinygan.tensor(grad * a)

    with fails(r"the gradient for input 0 \(a\) is a Tensor of shape \(3, 4\), not an array"):
        check_backward(mul(ReturnsTensor), A, A, name=NAME)


def test_check_backward_checks_only_the_marked_inputs_when_some_are_marked() -> None:
    a = tinygan.tensor(A, requires_grad=True)
    b = tinygan.tensor(B)  # a constant: its (wrong) gradient is not checked
    check_backward(mul(MulSignError), a, b, name=NAME)
    assert a.grad is None  # the caller's tensors are never touched


def test_check_backward_large_inputs_along_random_directions() -> None:
    big_a, big_b = rng.normal(size=(30, 30)), rng.normal(size=(30, 30))
    check_backward(mul(Mul), big_a, big_b, name=NAME)
    with fails("along random direction 0"):
        check_backward(mul(MulSignError), big_a, big_b, name=NAME)


# -- check_shape --------------------------------------------------------------------------------


def test_check_shape() -> None:
    check_shape(np.zeros((2, 3)), (2, 3), name=NAME)
    check_shape(tinygan.zeros(2, 3), [2, 3], name=NAME)
    check_shape((2, 3), (2, 3), name=NAME)
    with fails(r"expected shape \(2, 3\), got shape \(3, 2\) \(transposed\?\)"):
        check_shape(np.zeros((3, 2)), (2, 3), name=NAME)
    with fails(r"got shape \(6,\) \(1 axes instead of 2\)"):
        check_shape(np.zeros(6), (2, 3), name=NAME)
    with fails("your answer is None"):
        check_shape(None, (2, 3), name=NAME)
    with fails("not answered yet"):
        check_shape(stub, (2, 3), name=NAME)


# -- check_frozen -------------------------------------------------------------------------------


def nets() -> tuple[tinygan.nn.Module, tinygan.nn.Module]:
    tinygan.manual_seed(0)
    D = tinygan.nn.Sequential(tinygan.nn.Linear(2, 4), tinygan.nn.BatchNorm1d(4),
                              tinygan.nn.Linear(4, 1))
    G = tinygan.nn.Linear(3, 2)
    return D, G


def g_step(D, G, opt, freeze: bool):
    """One G step through D: with freeze, D is frozen the way the library's GAN does it."""
    from tinygan.gan.algorithm import frozen  # noqa: PLC0415

    def step() -> None:
        z = tinygan.randn(8, 3)
        if freeze:
            with frozen(D):
                loss = D(G(z)).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
        else:
            loss = D(G(z)).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    return step


def test_check_frozen_passes_a_step_that_leaves_d_alone(capsys) -> None:
    D, G = nets()
    opt = tinygan.optim.Adam(G.parameters(), lr=1e-2)
    check_frozen(D, g_step(D, G, opt, freeze=True), name=NAME, must_move=G)
    assert capsys.readouterr().out == f"{NAME}: correct\n"


def test_check_frozen_catches_a_net_that_moved_and_names_what() -> None:
    D, G = nets()
    opt = tinygan.optim.Adam([*G.parameters(), *D.parameters()], lr=1e-2)
    with fails(r"the step changed the frozen network: parameter '0.weight' moved by up to"):
        check_frozen(D, g_step(D, G, opt, freeze=False), name=NAME)


def test_check_frozen_catches_gradients_and_buffers() -> None:
    D, G = nets()
    opt = tinygan.optim.SGD(G.parameters(), lr=0.0)
    with fails(r"the gradient of '0.weight' was None and now holds a gradient"):
        check_frozen(D, g_step(D, G, opt, freeze=False), name=NAME)
    D.eval()
    D.zero_grad()

    def bumps_running_mean() -> None:
        D.train()
        D(tinygan.randn(8, 2))

    with fails(r"buffer '1.running_mean' moved"):
        check_frozen(D, bumps_running_mean, name=NAME)


def test_check_frozen_must_move_and_stub() -> None:
    D, G = nets()
    with fails("left the network it should train unchanged"):
        check_frozen(D, lambda: None, name=NAME, must_move=G)
    with fails("not answered yet"):
        check_frozen(D, stub, name=NAME)
    with fails("your step raised ZeroDivisionError: division by zero"):
        check_frozen([D, G], lambda: 1 / 0, name=NAME)


# -- check_choice -------------------------------------------------------------------------------


def test_check_choice(capsys: pytest.CaptureFixture[str]) -> None:
    check_choice("B ", "b", name=NAME, choices=["a", "b", "c"], explain="D saturates")
    assert capsys.readouterr().out == f"{NAME}: correct - D saturates\n"
    with fails("'a' is not the right choice") as info:
        check_choice("a", "b", name=NAME, choices="abc", explain="D saturates")
    assert "saturates" not in str(info.value)  # the explanation would give the answer away
    with fails("'d' is not one of the choices 'a', 'b', 'c'"):
        check_choice("d", "b", name=NAME, choices="abc")
    with fails("not answered yet - choose one of"):
        check_choice(None, "b", name=NAME, choices="abc")
    with fails("not answered yet - write your code"):
        check_choice(stub, "b", name=NAME, choices="abc")
    with pytest.raises(ValueError, match="not among the choices"):  # the teacher's slip
        check_choice("a", "z", name=NAME, choices="abc")


# -- no bare traceback, whatever the student's code raises ------------------------------------


ERRORS = [ZeroDivisionError("division by zero"), KeyError("w"), TypeError("bad operand"),
          IndexError("index 3 is out of bounds"), RuntimeError("boom")]


def calls(check: str, student):
    """A call of each check where the student's code is ``student``."""
    def as_backward(Op):
        class Broken(Mul):
            @staticmethod
            def backward(ctx, grad):
                return student()
        return mul(Broken)

    return {
        "close": lambda: check_close(student, 1.0, name=NAME),
        "function": lambda: check_function(lambda x: student(), softplus, inputs, name=NAME),
        "backward": lambda: check_backward(as_backward(Mul), A, B, name=NAME),
        "shape": lambda: check_shape(student, (2,), name=NAME),
        "frozen": lambda: check_frozen(nets()[0], student, name=NAME),
        "choice": lambda: check_choice(student, "a", name=NAME, choices="ab"),
    }[check]


@pytest.mark.parametrize("check", ["close", "function", "backward", "shape", "frozen", "choice"])
@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_every_check_names_any_exception(check: str, error: Exception) -> None:
    def student():
        raise error

    with pytest.raises(ExerciseFailed, match=rf"^{NAME}: your \w+.* raised "
                                             rf"{type(error).__name__}"):
        calls(check, student)()


@pytest.mark.parametrize("check", ["close", "function", "backward", "shape", "frozen", "choice"])
def test_every_check_says_not_answered_yet(check: str) -> None:
    with pytest.raises(ExerciseFailed, match=rf"^{NAME}: not answered yet - write your code"):
        calls(check, stub)()
