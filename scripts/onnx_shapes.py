#!/usr/bin/python3
"""Print python onnx's inferred shapes of ONNX files as JSON.

Usage: onnx_shapes.py < paths   (one .onnx path a line)

For each file: {"values": {name: {"dtype", "shape"}}, "alone": {...}} with
the values of the main graph whose shape onnx.shape_inference.infer_shapes
(strict_mode off) knows in full (every dim an int or a name): graph inputs,
value_info after inference, outputs and initializers. "values" starts from
the file as stored, "alone" from the file with value_info and the outputs'
types dropped (what inference alone finds). {"error": "..."} when onnx
cannot load or infer the file. External data is not loaded (inference needs only
the types). One process for all files keeps modelpeek's test fast.
"""
import json
import sys

import onnx
from onnx import shape_inference

# Numpy spellings of TensorProto.DataType numbers (from onnx.proto).
DTYPES = {
    1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64",
    8: "string", 9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64",
    14: "complex64", 15: "complex128", 16: "bfloat16", 17: "float8_e4m3fn",
    18: "float8_e4m3fnuz", 19: "float8_e5m2", 20: "float8_e5m2fnuz", 21: "uint4", 22: "int4",
    23: "float4_e2m1",
}


def full_shape(tt):
    """The dims of a tensor type when every one is an int or a name."""
    if not tt.HasField("shape"):
        return None
    out = []
    for d in tt.shape.dim:
        w = d.WhichOneof("value")
        if w == "dim_value":
            out.append(d.dim_value)
        elif w == "dim_param":
            out.append(d.dim_param)
        else:
            return None
    return out


def add_value(out, v):
    if v.type.WhichOneof("value") != "tensor_type":
        return
    tt = v.type.tensor_type
    s = full_shape(tt)
    if s is not None:
        out[v.name] = {"dtype": DTYPES.get(tt.elem_type, "dtype%d" % tt.elem_type), "shape": s}


def forget_types(m):
    """Drops value_info and the outputs' types: what inference alone finds."""
    m = onnx.ModelProto.FromString(m.SerializeToString())
    del m.graph.value_info[:]
    for v in m.graph.output:
        v.type.Clear()
    return m


def inferred_values(m):
    m = shape_inference.infer_shapes(m, strict_mode=False)
    g = m.graph
    out = {}
    for t in g.initializer:
        out[t.name] = {"dtype": DTYPES.get(t.data_type, "dtype%d" % t.data_type), "shape": list(t.dims)}
    for vs in (g.input, g.value_info, g.output):
        for v in vs:
            add_value(out, v)
    return out


def file_shapes(path):
    m = onnx.load(path, load_external_data=False)
    return {"values": inferred_values(m), "alone": inferred_values(forget_types(m))}


def main():
    res = {}
    for line in sys.stdin:
        path = line.strip()
        if not path:
            continue
        try:
            res[path] = file_shapes(path)
        except Exception as e:  # noqa: BLE001 - any refusal is reported, not fatal
            res[path] = {"error": "%s: %s" % (type(e).__name__, str(e)[:300])}
    json.dump(res, sys.stdout)


if __name__ == "__main__":
    main()
