#!/usr/bin/env python3
# Extracts one schema of the OpenAI OpenAPI document, with every schema it references
# (transitively), for the fake's validation:
#   python3 extract_schema.py path/to/openai-openapi.json CreateResponse > responses_request_schema.json
#   python3 extract_schema.py path/to/openai-openapi.json ResponseStreamEvent > responses_stream_schema.json
# It drops prose-only keywords (descriptions, examples, titles, defaults, x-* extensions) and
# rewrites draft 2019-09 recursion ($recursiveAnchor/$recursiveRef "#"), which is not 2020-12,
# as a plain $ref to the schema it sits in. The output is a JSON Schema whose $ref (also
# given as "root") is the extracted schema.
# The OpenAPI document is MIT licensed: see LICENSE-openai-openapi next to this file.
import json, sys

doc = json.load(open(sys.argv[1]))
ROOT = sys.argv[2]
schemas = doc["components"]["schemas"]
DROP = {"description", "example", "examples", "title", "deprecated", "default"}

def strip(o):
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items() if k not in DROP and not k.startswith("x-")}
    if isinstance(o, list):
        return [strip(x) for x in o]
    return o

keep = {ROOT}
def walk(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "$ref" and isinstance(v, str):
                name = v.rsplit("/", 1)[-1]
                if name not in keep:
                    keep.add(name)
                    walk(schemas[name])
            else:
                walk(v)
    elif isinstance(o, list):
        for x in o:
            walk(x)
walk(schemas[ROOT])

def unrecurse(name, o):
    if isinstance(o, dict):
        o.pop("$recursiveAnchor", None)
        if o.get("$recursiveRef") == "#":
            del o["$recursiveRef"]
            o["$ref"] = "#/components/schemas/" + name
        for v in o.values():
            unrecurse(name, v)
    elif isinstance(o, list):
        for x in o:
            unrecurse(name, x)

ref = "#/components/schemas/" + ROOT
out = {
    "$comment": ROOT + " and the schemas it references, extracted from the OpenAI OpenAPI "
                "document (MIT License, Copyright (c) OpenAI; see LICENSE-openai-openapi). "
                "Prose keywords removed. Regenerate with extract_schema.py.",
    "openapi_info": doc.get("info", {}).get("version", ""),
    "root": ref,
    "$ref": ref,
    "components": {"schemas": {k: strip(schemas[k]) for k in sorted(keep)}},
}
for name, sch in out["components"]["schemas"].items():
    unrecurse(name, sch)
json.dump(out, sys.stdout, separators=(",", ":"), sort_keys=True)
sys.stdout.write("\n")
