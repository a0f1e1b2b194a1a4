#!/usr/bin/python3
"""Write the TFLite builtin operators' option tables as compact JSON facts.

Usage: gen_tflite_options.py SCHEMA.fbs FLATBUFFER_CONVERSIONS.cc OUT.json

SCHEMA.fbs is TensorFlow Lite's flatbuffer schema (tensorflow/compiler/mlir/
lite/schema/schema.fbs); FLATBUFFER_CONVERSIONS.cc is the runtime's parser of
builtin options (tensorflow/lite/core/api/flatbuffer_conversions.cc), read
only to learn which options table each builtin operator uses (the schema does
not say). Neither file is kept: the output holds facts only, no comments:

  {"ops": {"CONV_2D": {"code": 3, "options": "Conv2DOptions"}, ...},
   "tables": {"Conv2DOptions": [{"name", "type", "default"?, "deprecated"?}]},
   "enums": {"Padding": ["SAME", "VALID"], ...}}

A field's type is a scalar (int, float, bool, ...), an enum's name, a vector
"[int]" or a table's name. One operator or table per line keeps the committed
table reviewable in a diff.
"""
import json
import re
import sys


def strip_comments(text):
    return re.sub(r"//[^\n]*", "", text)


def blocks(text, kind):
    """(name, body) of every `kind Name [: type] { body }` block."""
    pat = re.compile(r"\b%s\s+(\w+)\s*(?::\s*\w+\s*)?\{([^}]*)\}" % kind)
    return [(m.group(1), m.group(2)) for m in pat.finditer(text)]


def parse_enums(text):
    enums, values = {}, {}
    for name, body in blocks(text, "enum"):
        names, nums, nxt = [], {}, 0
        for item in (x.strip() for x in body.split(",")):
            if not item:
                continue
            key, _, val = (p.strip() for p in item.partition("="))
            nxt = int(val.split()[0], 0) if val else nxt  # "205 (deprecated)"
            names.append(key)
            nums[key] = nxt
            nxt += 1
        enums[name], values[name] = names, nums
    return enums, values


def parse_tables(text):
    tables = {}
    field = re.compile(r"^\s*(\w+)\s*:\s*(\[?\w+\]?)\s*(?:=\s*([^;(]+?))?\s*(\([^)]*\))?\s*;", re.M)
    for name, body in blocks(text, "table"):
        out = []
        for m in field.finditer(body):
            f = {"name": m.group(1), "type": m.group(2)}
            if m.group(3) is not None:
                f["default"] = default(m.group(3).strip())
            if m.group(4) and "deprecated" in m.group(4):
                f["deprecated"] = True
            out.append(f)
        tables[name] = out
    return tables


def default(s):
    if s in ("true", "false"):
        return s == "true"
    for conv in (int, float):
        try:
            return conv(s)
        except ValueError:
            pass
    return s  # an enum value's name


def op_options(cc):
    """Maps builtin operator names to the options table their parser reads."""
    parsers = {}
    for m in re.finditer(r"^TfLiteStatus (Parse\w+)\(.*?^}", cc, re.M | re.S):
        t = re.search(r"builtin_options(?:_2)?_as_(\w+)\(\)", m.group(0))
        if t:
            parsers[m.group(1)] = t.group(1)
    out = {}
    cases = re.split(r"(?=\bcase BuiltinOperator_)", cc)
    pending = []
    for part in cases:
        m = re.match(r"case BuiltinOperator_(\w+)\s*:", part)
        if not m:
            continue
        pending.append(m.group(1))
        body = part[m.end():]
        if not body.strip():
            continue  # falls through to the next label
        t = re.search(r"builtin_options(?:_2)?_as_(\w+)\(\)", body)
        p = re.search(r"return (Parse\w+)\(", body)
        table = t.group(1) if t else parsers.get(p.group(1)) if p else None
        if table:
            for op in pending:
                out.setdefault(op, table)
        pending = []
    return out


def main():
    schema = strip_comments(open(sys.argv[1], encoding="utf-8").read())
    cc = open(sys.argv[2], encoding="utf-8").read()
    enums, values = parse_enums(schema)
    tables = parse_tables(schema)
    options = op_options(cc)
    union_members = set()
    for name, body in blocks(schema, "union"):
        if name.startswith("BuiltinOptions"):
            union_members.update(x.strip() for x in body.split(",") if x.strip())
    by_name = {t[:-len("Options")].lower(): t for t in union_members if t.endswith("Options")}
    ops = {}
    for op, code in values["BuiltinOperator"].items():
        o = {"code": code}
        # The runtime's parser says which table an operator reads; where it
        # reads none, the union member named after the operator (CALL:
        # CallOptions, STABLEHLO_SORT: StablehloSortOptions) is its table.
        t = options.get(op) or by_name.get(op.replace("_", "").lower())
        if t in union_members and t in tables:
            o["options"] = t
        ops[op] = o
    used = {o["options"] for o in ops.values() if "options" in o}
    kept = {t: tables[t] for t in sorted(used)}
    enum_names = {f["type"] for fs in kept.values() for f in fs} & set(enums)
    with open(sys.argv[3], "w", encoding="utf-8") as f:
        f.write('{"ops": {\n')
        f.write(",\n".join("%s: %s" % (json.dumps(k), json.dumps(v, sort_keys=True)) for k, v in sorted(ops.items(), key=lambda kv: kv[1]["code"])))
        f.write('\n},\n"tables": {\n')
        f.write(",\n".join("%s: %s" % (json.dumps(k), json.dumps(v, sort_keys=True)) for k, v in kept.items()))
        f.write('\n},\n"enums": {\n')
        f.write(",\n".join("%s: %s" % (json.dumps(k), json.dumps(enums[k])) for k in sorted(enum_names)))
        f.write("\n}}\n")


if __name__ == "__main__":
    main()
