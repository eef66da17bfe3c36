"""The onnx package's own verdict on exported files (the ONNX export tests).

  onnx_check.py FILE.onnx ...
      For each file: onnx.checker.check_model with full_check (the spec's rules plus strict shape inference),
      then the inputs and outputs with their inferred element types and shapes. Prints one JSON object per
      file on a line; exits 1 after printing if any file fails the check (its "error" names why).
"""
import json, sys

import onnx


def dims(value):
    t = value.type.tensor_type
    return {"name": value.name, "elem_type": onnx.TensorProto.DataType.Name(t.elem_type),
            "shape": [d.dim_param or d.dim_value for d in t.shape.dim]}


failed = False
for path in sys.argv[1:]:
    try:
        model = onnx.load(path)
        onnx.checker.check_model(model, full_check=True)
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
        print(json.dumps({"file": path, "ok": True, "ir_version": model.ir_version,
                          "opset": [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")],
                          "inputs": [dims(v) for v in inferred.graph.input], "outputs": [dims(v) for v in inferred.graph.output]}))
    except Exception as e:  # the checker's and the loader's errors alike
        failed = True
        print(json.dumps({"file": path, "ok": False, "error": f"{type(e).__name__}: {e}"}))
sys.exit(1 if failed else 0)
