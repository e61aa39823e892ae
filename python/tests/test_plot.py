"""examples/python/latency_plot.py draws a latency histogram headless."""

import os
import subprocess
import sys

import numpy as np
from matplotlib import image

from conftest import DATA, ROOT

SCRIPT = ROOT / "examples" / "python" / "latency_plot.py"


def test_latency_plot(tmp_path):
    out = tmp_path / "latency.png"
    env = dict(os.environ, MPLBACKEND="Agg")
    env.pop("DISPLAY", None)
    proc = subprocess.run([sys.executable, str(SCRIPT), str(DATA / "misprio.dat"), str(out),
                           "--slo", "500us"], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size > 0
    px = image.imread(str(out))
    assert px.shape[0] >= 300 and px.shape[1] >= 600
    colors = np.unique(px.reshape(-1, px.shape[-1]), axis=0)
    assert len(colors) > 10  # lines, labels, legend: not a blank canvas
    # some of the canvas is drawn on, not white
    assert (px[..., :3] < 0.9).any(axis=-1).mean() > 0.01


def test_latency_plot_bad_input(tmp_path):
    bad = tmp_path / "bad.dat"
    bad.write_bytes(b"\x17\x08\x44tracing6\x00")
    proc = subprocess.run([sys.executable, str(SCRIPT), str(bad), str(tmp_path / "x.png")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert str(bad) in proc.stderr
