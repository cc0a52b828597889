#!/usr/bin/env python3
# Regenerates responses_request_schema.json from the OpenAI OpenAPI document:
#   python3 extract_schema.py path/to/openai-openapi.json > responses_request_schema.json
# It keeps CreateResponse and every schema it references (transitively) and drops
# prose-only keywords (descriptions, examples, titles, defaults, x-* extensions).
# The OpenAPI document is MIT licensed: see LICENSE-openai-openapi next to this file.
import json, sys

doc = json.load(open(sys.argv[1]))
schemas = doc["components"]["schemas"]
DROP = {"description", "example", "examples", "title", "deprecated", "default"}

def strip(o):
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items() if k not in DROP and not k.startswith("x-")}
    if isinstance(o, list):
        return [strip(x) for x in o]
    return o

keep = {"CreateResponse"}
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
walk(schemas["CreateResponse"])

out = {
    "$comment": "CreateResponse and the schemas it references, extracted from the OpenAI OpenAPI "
                "document (MIT License, Copyright (c) OpenAI; see LICENSE-openai-openapi). "
                "Prose keywords removed. Regenerate with extract_schema.py.",
    "openapi_info": doc.get("info", {}).get("version", ""),
    "root": "#/components/schemas/CreateResponse",
    "components": {"schemas": {k: strip(schemas[k]) for k in sorted(keep)}},
}
json.dump(out, sys.stdout, separators=(",", ":"), sort_keys=True)
sys.stdout.write("\n")
