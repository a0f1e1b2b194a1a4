#!/usr/bin/python3
"""Print reference facts about ONNX files as JSON, computed with python3-onnx.

Usage: onnx_facts.py ROOT [ROOT...]

Every *.onnx file under each ROOT is loaded as a ModelProto (without its
external data); every *.pb file in a test_data_set_* folder is loaded as a
TensorProto when the matching input or output of the folder's model.onnx is
a tensor. modelpeek's Go tests compare their decoder against this output.
"""
import glob
import json
import math
import os
import sys

import onnx
from onnx import numpy_helper

DTYPES = {
    "FLOAT": "float32", "UINT8": "uint8", "INT8": "int8", "UINT16": "uint16",
    "INT16": "int16", "INT32": "int32", "INT64": "int64", "STRING": "string",
    "BOOL": "bool", "FLOAT16": "float16", "DOUBLE": "float64", "UINT32": "uint32",
    "UINT64": "uint64", "COMPLEX64": "complex64", "COMPLEX128": "complex128",
    "BFLOAT16": "bfloat16", "FLOAT8E4M3FN": "float8_e4m3fn",
    "FLOAT8E4M3FNUZ": "float8_e4m3fnuz", "FLOAT8E5M2": "float8_e5m2",
    "FLOAT8E5M2FNUZ": "float8_e5m2fnuz", "UINT4": "uint4", "INT4": "int4",
    "FLOAT4E2M1": "float4_e2m1", "UNDEFINED": "",
}


# Data types newer than the installed onnx (numbers from onnx.proto).
NEWER_DTYPES = {
    17: "float8_e4m3fn", 18: "float8_e4m3fnuz", 19: "float8_e5m2", 20: "float8_e5m2fnuz",
    21: "uint4", 22: "int4", 23: "float4_e2m1", 24: "float8_e8m0fnu", 25: "uint2", 26: "int2",
}


def dtype(n):
    try:
        return DTYPES[onnx.TensorProto.DataType.Name(n)]
    except (ValueError, KeyError):
        return NEWER_DTYPES.get(n, "dtype%d" % n)


def shape(t):
    if not t.HasField("shape"):
        return None
    out = []
    for d in t.shape.dim:
        w = d.WhichOneof("value")
        out.append(d.dim_value if w == "dim_value" else d.dim_param if w == "dim_param" else None)
    return out


def typ(t):
    w = t.WhichOneof("value")
    if w is None:
        return None
    if w == "tensor_type":
        return {"kind": "tensor", "dtype": dtype(t.tensor_type.elem_type), "shape": shape(t.tensor_type)}
    if w == "sparse_tensor_type":
        return {"kind": "sparse_tensor", "dtype": dtype(t.sparse_tensor_type.elem_type),
                "shape": shape(t.sparse_tensor_type)}
    if w == "sequence_type":
        return {"kind": "sequence", "elem": typ(t.sequence_type.elem_type)}
    if w == "optional_type":
        return {"kind": "optional", "elem": typ(t.optional_type.elem_type)}
    if w == "map_type":
        return {"kind": "map", "key": dtype(t.map_type.key_type), "elem": typ(t.map_type.value_type)}
    return {"kind": "opaque"}


def subgraphs(node):
    for a in node.attribute:
        if a.type == onnx.AttributeProto.GRAPH:
            yield a.g
        elif a.type == onnx.AttributeProto.GRAPHS:
            yield from a.graphs


def count_nodes(g):
    n, stack = 0, [g]
    while stack:
        g = stack.pop()
        n += len(g.node)
        for node in g.node:
            stack.extend(subgraphs(node))
    return n


def op_key(node):
    if node.domain in ("", "ai.onnx"):
        return node.op_type
    return node.domain + "::" + node.op_type


def attr_facts(a):
    """Summarises an attribute the way the Go test renders its decoded one."""
    A = onnx.AttributeProto
    t = a.type
    if t == A.FLOAT:
        v = num(a.f)
    elif t == A.INT:
        v = a.i
    elif t == A.STRING:
        v = a.s.decode("utf-8", "replace")[:200]
    elif t == A.FLOATS:
        v = [num(x) for x in a.floats[:64]]
    elif t == A.INTS:
        v = list(a.ints[:64])
    elif t == A.STRINGS:
        v = [x.decode("utf-8", "replace")[:200] for x in a.strings[:64]]
    elif t == A.TENSOR:
        v = [a.t.name, dtype(a.t.data_type), list(a.t.dims)]
    elif t == A.SPARSE_TENSOR:
        v = [a.sparse_tensor.values.name, dtype(a.sparse_tensor.values.data_type), list(a.sparse_tensor.dims)]
    elif t == A.TENSORS:
        v = [[x.name, dtype(x.data_type), list(x.dims)] for x in a.tensors]
    elif t == A.GRAPH:
        v = [a.g.name, len(a.g.node)]
    elif t == A.GRAPHS:
        v = [[g.name, len(g.node)] for g in a.graphs]
    elif t == A.TYPE_PROTO:
        v = typ(a.tp)
    elif t == A.TYPE_PROTOS:
        v = [typ(x) for x in a.type_protos]
    else:
        v = None
    return [a.name, A.AttributeType.Name(t), a.ref_attr_name, v]


def tensor_preview(t, base_dir):
    """First values and statistics of a numeric tensor up to 256 Ki elements."""
    if t.data_type in (0, onnx.TensorProto.STRING, onnx.TensorProto.COMPLEX64, onnx.TensorProto.COMPLEX128):
        return None
    if t.data_location == onnx.TensorProto.EXTERNAL:
        loc = {e.key: e.value for e in t.external_data}.get("location", "")
        if not os.path.exists(os.path.join(base_dir, loc)):
            return None
        from onnx.external_data_helper import load_external_data_for_tensor
        t = onnx.TensorProto.FromString(t.SerializeToString())
        load_external_data_for_tensor(t, base_dir)
        t.data_location = onnx.TensorProto.DEFAULT
        del t.external_data[:]
    a = numpy_helper.to_array(t).astype("float64").ravel()
    if a.size > 256 * 1024:
        return None
    out = {"name": t.name, "count": int(a.size), "first": [num(v) for v in a[:8]]}
    finite = a[~(a != a)]
    if finite.size and not (abs(finite) == float("inf")).any():
        out["min"], out["max"], out["mean"] = num(finite.min()), num(finite.max()), num(finite.mean())
    return out


def model_facts(path):
    m = onnx.load(path, load_external_data=False)
    base_dir = os.path.dirname(path)
    g = m.graph
    ops = {}
    for node in g.node:
        ops[op_key(node)] = ops.get(op_key(node), 0) + 1
    ext = sorted({e.value for t in g.initializer if t.data_location == 1
                  for e in t.external_data if e.key == "location"})
    return {
        "kind": "model",
        "producer": (m.producer_name + " " + m.producer_version).strip(),
        "ir_version": m.ir_version,
        "opsets": [{"domain": "" if o.domain == "ai.onnx" else o.domain, "version": o.version}
                   for o in m.opset_import],
        "graph_name": g.name,
        "nodes": count_nodes(g),
        "ops": ops,
        "inputs": [{"name": v.name, "type": typ(v.type)} for v in g.input],
        "outputs": [{"name": v.name, "type": typ(v.type)} for v in g.output],
        "value_info": len(g.value_info),
        "initializers": [{"name": t.name, "dtype": dtype(t.data_type), "shape": list(t.dims)}
                         for t in g.initializer],
        "sparse_initializers": [{"name": s.values.name, "dtype": dtype(s.values.data_type),
                                 "shape": list(s.dims)} for s in g.sparse_initializer],
        "functions": [{"name": f.name, "domain": f.domain, "nodes": len(f.node)} for f in m.functions],
        "training_graphs": sum(t.HasField("initialization") + t.HasField("algorithm") for t in m.training_info),
        "metadata": {p.key: p.value for p in m.metadata_props},
        "external_files": ext,
        "node_attrs": [[attr_facts(a) for a in node.attribute] for node in g.node],
        "previews": [p for p in (tensor_preview(t, base_dir) for t in g.initializer) if p],
    }


def num(x):
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Inf" if x > 0 else "-Inf"
    return x


def tensor_facts(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    out = {"kind": "tensor", "name": t.name, "dtype": dtype(t.data_type), "shape": list(t.dims)}
    if t.data_type in (onnx.TensorProto.STRING, onnx.TensorProto.COMPLEX64, onnx.TensorProto.COMPLEX128):
        return out
    try:
        a = numpy_helper.to_array(t).astype("float64").ravel()
    except Exception as e:  # this onnx version cannot convert the dtype
        out["preview_error"] = str(e)
        return out
    out["count"] = int(a.size)
    out["first"] = [num(v) for v in a[:16]]
    finite = a[~(a != a)]
    if finite.size:
        out["min"], out["max"] = num(finite.min()), num(finite.max())
        out["mean"] = num(finite.mean()) if not (finite == float("inf")).any() and not (finite == float("-inf")).any() else None
    return out


def io_kind(model_path, pb_name):
    """Returns the type kind of the graph input/output a test .pb holds."""
    stem = pb_name[:-3]
    which, _, index = stem.partition("_")
    m = onnx.load(model_path, load_external_data=False)
    vals = m.graph.input if which == "input" else m.graph.output
    # inputs fed by initializers are not in the data sets
    inits = {t.name for t in m.graph.initializer}
    vals = [v for v in vals if v.name not in inits] if which == "input" else list(vals)
    i = int(index)
    if i >= len(vals):
        return None
    t = typ(vals[i].type)
    return t and t["kind"]


def main(roots):
    out = {}
    for root in roots:
        root = os.path.abspath(root)
        for path in sorted(glob.glob(os.path.join(root, "**", "*.onnx"), recursive=True)):
            try:
                out[path] = model_facts(path)
            except Exception as e:
                out[path] = {"kind": "error", "error": str(e)}
        for path in sorted(glob.glob(os.path.join(root, "**", "test_data_set_*", "*.pb"), recursive=True)):
            model_path = os.path.join(os.path.dirname(os.path.dirname(path)), "model.onnx")
            if not os.path.exists(model_path):
                continue
            try:
                kind = io_kind(model_path, os.path.basename(path))
                if kind != "tensor":
                    out[path] = {"kind": "not-tensor", "io_kind": kind}
                    continue
                out[path] = tensor_facts(path)
            except Exception as e:
                out[path] = {"kind": "error", "error": str(e)}
    json.dump(out, sys.stdout, indent=None, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1:] or ["/usr/share/libonnx-testdata"])
