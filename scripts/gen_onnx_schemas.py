#!/usr/bin/python3
"""Write every ONNX operator schema known to python onnx as compact JSON.

Usage: gen_onnx_schemas.py OUT.json   (run by `go generate` in model/onnx/opschema)

Facts only, no documentation text: for each (domain, operator, since-version):
inputs and outputs (name, type string, single/optional/variadic, homogeneous),
the input and output count bounds, type constraints (allowed types),
attributes (name, type, required, default value) and the deprecated flag.
One schema per line keeps the committed table reviewable in a diff.
"""
import json
import sys

import numpy
import onnx
from onnx import defs, helper

OPTIONS = {
    defs.OpSchema.FormalParameterOption.Single: "single",
    defs.OpSchema.FormalParameterOption.Optional: "optional",
    defs.OpSchema.FormalParameterOption.Variadic: "variadic",
}

# Bounds python onnx reports for "unbounded" input/output counts.
UNBOUNDED = 2**31 - 1


def param(p):
    out = {"name": p.name, "type": p.typeStr, "option": OPTIONS[p.option]}
    if p.option == defs.OpSchema.FormalParameterOption.Variadic and not p.isHomogeneous:
        out["heterogeneous"] = True
    return out


def f32(x):
    """A float attribute (stored as float32) in its shortest spelling: 1e-05, not 9.9999997e-06."""
    if isinstance(x, float):
        if x != x:
            return "nan"
        return float(numpy.format_float_scientific(numpy.float32(x), unique=True))
    return x


def default_value(a):
    """The default of an attribute as JSON, None when it has none."""
    d = a.default_value
    if d is None or d.type == onnx.AttributeProto.UNDEFINED:
        return None
    v = helper.get_attribute_value(d)
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, (list, tuple)):
        return [x.decode("utf-8", "replace") if isinstance(x, bytes) else f32(x) for x in v]
    if isinstance(v, onnx.TensorProto):
        return {"tensor": {"dtype": onnx.TensorProto.DataType.Name(v.data_type), "dims": list(v.dims)}}
    return f32(v)


def attribute(a):
    out = {"name": a.name, "type": onnx.AttributeProto.AttributeType.Name(a.type).lower(),
           "required": bool(a.required)}
    d = default_value(a)
    if d is not None:
        out["default"] = d
    return out


def bound(n):
    return -1 if n >= UNBOUNDED else n


def schema(s):
    out = {
        "domain": s.domain, "name": s.name, "since": s.since_version,
        "inputs": [param(p) for p in s.inputs], "outputs": [param(p) for p in s.outputs],
        "min_inputs": s.min_input, "max_inputs": bound(s.max_input),
        "min_outputs": s.min_output, "max_outputs": bound(s.max_output),
        "constraints": [{"param": c.type_param_str, "allowed": list(c.allowed_type_strs)}
                        for c in s.type_constraints],
        "attributes": [attribute(a) for _, a in sorted(s.attributes.items())],
    }
    if s.deprecated:
        out["deprecated"] = True
    return out


def main():
    schemas = sorted(defs.get_all_schemas_with_history(), key=lambda s: (s.domain, s.name, s.since_version))
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        f.write('{"onnx_version": %s,\n"schemas": [\n' % json.dumps(onnx.__version__))
        f.write(",\n".join(json.dumps(schema(s), separators=(",", ":"), sort_keys=True) for s in schemas))
        f.write("\n]}\n")


if __name__ == "__main__":
    main()
