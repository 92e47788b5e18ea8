"""Plane panels stacked on the Compare page line up: a toy's samples and its field share one frame and one set of
margins (the field's colour bar sits in a right margin the samples keep empty, where it used to narrow the
field's axes)."""
import numpy as np

from gdl import plots
from gdl.data import toys


def test_samples_beside_a_field_share_its_frame_and_margins():
    reference = toys.moons(1500, seed=0)[0]
    (x0, x1), (y0, y1) = plots.frame(reference)
    lo, hi = reference.min(axis=0), reference.max(axis=0)
    pad = 0.15 * (hi - lo).max()
    assert np.allclose([x0, x1, y0, y1], [lo[0] - pad, hi[0] + pad, lo[1] - pad, hi[1] + pad])
    xs, ys = np.linspace(x0, x1, 80), np.linspace(y0, y1, 80)
    field = plots.plane_figure(xs, ys, np.random.default_rng(0).normal(size=(80, 80)), "log density",
                               colorbar_title="log p")
    samples = plots.scatter_figure(reference[:200], "samples", reference=reference, beside_field=True)
    for fig in (field, samples):
        assert list(fig.layout.xaxis.range) == [x0, x1] and list(fig.layout.yaxis.range) == [y0, y1]
        assert fig.layout.margin.to_plotly_json() == plots.PANEL_MARGIN  # fixed: never fitted to its own labels
        assert fig.layout.xaxis.automargin is False and fig.layout.yaxis.automargin is False
        assert fig.layout.height == 300
    bar = field.data[0].colorbar
    assert bar.x > 1 and bar.orientation in (None, "v")  # in the right margin, not taken from the axes
    alone = plots.scatter_figure(reference, "held-out data", reference=reference)  # no field beside it: no room kept
    assert alone.layout.margin.r == 10
