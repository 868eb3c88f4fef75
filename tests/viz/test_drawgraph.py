"""draw_graph draws one arrow per use of a tensor, and bends the ones that skip columns."""

from __future__ import annotations

from matplotlib.text import Annotation

import tinygan
from tinygan.viz.drawgraph import draw_graph


def _arrows(fig):
    return [c for c in fig.axes[0].get_children() if isinstance(c, Annotation)]


def test_a_tensor_used_twice_gets_two_arrows_and_a_skipping_arrow_is_bent():
    u = tinygan.tensor(3.0, requires_grad=True)
    f = u * u + u  # u feeds Mul twice and Add once
    arrows = _arrows(draw_graph(f, names={"u": u, "f": f}))
    # u->Mul twice, Mul->9, 9->Add, u->Add, Add->f
    assert len(arrows) == 6
    bends = sorted(a.arrow_patch.get_connectionstyle().rad for a in arrows)
    assert bends.count(0.0) == 3  # Mul->9, 9->Add, Add->f: straight
    assert -0.15 in bends and 0.15 in bends  # the two uses of u by Mul, bent apart
    assert 0.35 in bends  # u->Add skips two columns


def test_a_chain_is_drawn_straight():
    x = tinygan.tensor(2.0, requires_grad=True)
    y = (x * 3.0).sigmoid()
    arrows = _arrows(draw_graph(y))
    assert len(arrows) == 5  # x->Mul, 3->Mul, Mul->6, 6->Sigmoid, Sigmoid->y
    assert all(a.arrow_patch.get_connectionstyle().rad == 0.0 for a in arrows)
