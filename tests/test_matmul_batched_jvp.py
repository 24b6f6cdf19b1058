"""matmul's forward rule for many tangents at once (jacfwd, hessian) computes one matrix
product where NumPy would loop over a stack (issue 30): its results must equal the
tangents pushed one at a time, for every operand layout it rewrites."""

from __future__ import annotations

import numpy as np
import pytest

from gradkit.autodiff.rules.linalg import matmul_p

SHAPES = [((4,), (4, 3)), ((2, 4), (4, 3)), ((2, 4), (4,)), ((4,), (4,)), ((3, 2, 4), (4, 5))]


@pytest.mark.parametrize(("sa", "sb"), SHAPES)
@pytest.mark.parametrize("i", [0, 1])
@pytest.mark.parametrize("batch", [(6,), (2, 3)])
def test_batched_tangents_equal_one_at_a_time(sa, sb, i, batch) -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    ans = np.matmul(a, b)
    t = rng.normal(size=batch + (sa if i == 0 else sb))
    got = matmul_p.jvp(len(batch), i, t, ans, a, b)
    flat = t.reshape((-1,) + t.shape[len(batch) :])
    one = [np.matmul(tk, b) if i == 0 else np.matmul(a, tk) for tk in flat]
    want = np.stack(one).reshape(batch + ans.shape)
    assert np.shape(got) == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)
