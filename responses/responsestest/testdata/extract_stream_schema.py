#!/usr/bin/env python3
# Regenerates responses_stream_schema.json from the OpenAI OpenAPI document:
#   python3 extract_stream_schema.py path/to/openai-openapi.json > responses_stream_schema.json
# It keeps ResponseStreamEvent (every server-sent event of a streamed response) and every
# schema it references (transitively), and drops prose-only keywords (descriptions, examples,
# titles, defaults, x-* extensions). The OpenAPI document is MIT licensed: see
# LICENSE-openai-openapi next to this file.
import json, sys

doc = json.load(open(sys.argv[1]))
schemas = doc["components"]["schemas"]
DROP = {"description", "example", "examples", "title", "deprecated", "default"}
ROOT = "ResponseStreamEvent"

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

# Draft 2019-09 recursion ($recursiveAnchor/$recursiveRef "#") is not 2020-12, which the
# validator uses: point the reference at the schema it sits in instead.
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

out = {
    "$comment": "ResponseStreamEvent and the schemas it references, extracted from the OpenAI OpenAPI "
                "document (MIT License, Copyright (c) OpenAI; see LICENSE-openai-openapi). "
                "Prose keywords removed. Regenerate with extract_stream_schema.py.",
    "openapi_info": doc.get("info", {}).get("version", ""),
    "$ref": "#/components/schemas/" + ROOT,
    "components": {"schemas": {k: strip(schemas[k]) for k in sorted(keep)}},
}
for name, sch in out["components"]["schemas"].items():
    unrecurse(name, sch)
json.dump(out, sys.stdout, separators=(",", ":"), sort_keys=True)
sys.stdout.write("\n")
