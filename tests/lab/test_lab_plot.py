"""plot_scaling writes a decodable image with one line per label, and rejects unusable input."""

from __future__ import annotations

import math

import matplotlib.image as mpimg
import pytest

from pessimism.plot import plot_scaling


def _rows():
    rows = []
    for n in (1, 2, 4, 8, 16):
        rows.append({"method": "bon", "n": n, "beta": "", "mean_true_reward": 0.5 + 0.1 * math.log2(n) - 0.02 * n,
                     "stderr": 0.01})
        rows.append({"method": "itp", "n": n, "beta": 0.5, "mean_true_reward": 0.5 + 0.05 * math.log2(n),
                     "stderr": 0.02})
        rows.append({"method": "oracle", "n": n, "beta": None, "mean_true_reward": 1 - 0.5 ** n, "stderr": 0.0})
    rows.append({"method": "itp", "n": math.inf, "beta": 0.5, "mean_true_reward": 0.8, "stderr": 0.0})
    return rows


def test_png_decodes_and_has_content(tmp_path):
    out = plot_scaling(_rows(), tmp_path / "sub" / "scaling.png", title="demo")
    image = mpimg.imread(out)
    assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 300
    # not a blank canvas: several distinct colours were drawn
    assert len({tuple(px) for px in image.reshape(-1, image.shape[-1])[::97].round(2).tolist()}) > 5


def test_errors_name_the_problem(tmp_path):
    with pytest.raises(ValueError, match="empty"):
        plot_scaling([], tmp_path / "a.png")
    with pytest.raises(ValueError, match="'compute'"):
        plot_scaling(_rows(), tmp_path / "a.png", x="compute")
    with pytest.raises(ValueError, match="mapping"):
        plot_scaling([1, 2], tmp_path / "a.png")
