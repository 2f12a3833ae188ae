"""ONNX export of the segmenter, checked against onnxruntime."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch


def export_onnx(model: torch.nn.Module, path: Path, opset: int = 17) -> float:
    """Export to ONNX (dynamic batch/height/width) and check onnxruntime against torch.

    The model is moved to the CPU in float32 first. Returns the largest absolute difference of
    the logits on a random input; raises above 1e-3.
    """
    import onnxruntime as ort

    model = model.float().cpu().eval()
    x = torch.randn(2, 1, 160, 128)
    torch.onnx.export(
        model,
        (x,),
        str(path),
        opset_version=opset,
        input_names=["image"],
        output_names=["logits"],
        dynamic_axes={"image": {0: "n", 2: "h", 3: "w"}, "logits": {0: "n", 2: "h", 3: "w"}},
        dynamo=False,
    )
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        ref = model(x).numpy()
    got = sess.run(None, {"image": x.numpy()})[0]
    diff = float(np.abs(ref - got).max())
    if diff > 1e-3:
        raise RuntimeError(f"onnxruntime differs from torch by {diff:.2e} (limit 1e-3)")
    return diff
