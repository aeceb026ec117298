#!/usr/bin/python3
"""extract.py - the part of GitHub's OpenAPI description prpost relies on.

    /usr/bin/python3 test/openapi/extract.py DEREF_JSON VERSION > test/openapi/github.json

DEREF_JSON is generated/api.github.com.deref.json from the npm package
@octokit/openapi (GitHub's published description, $refs resolved);
test/openapi/update.sh fetches it and runs this. Only the operations in
OPERATIONS are kept, with their parameters, JSON request body schema and
2xx and error response schemas, trimmed of prose and examples and cut
answers below DEPTH levels, so the file stays small enough to keep in the tree.
check.py validates recorded requests and answers against it.
"""
import json
import sys

OPERATIONS = [
    ("get", "/repos/{owner}/{repo}"),
    ("get", "/repos/{owner}/{repo}/git/ref/{ref}"),
    ("post", "/repos/{owner}/{repo}/git/refs"),
    ("patch", "/repos/{owner}/{repo}/git/refs/{ref}"),
    ("get", "/repos/{owner}/{repo}/git/commits/{commit_sha}"),
    ("post", "/repos/{owner}/{repo}/git/commits"),
    ("get", "/repos/{owner}/{repo}/git/trees/{tree_sha}"),
    ("post", "/repos/{owner}/{repo}/git/trees"),
    ("post", "/repos/{owner}/{repo}/git/blobs"),
    ("get", "/repos/{owner}/{repo}/git/blobs/{file_sha}"),
    ("get", "/repos/{owner}/{repo}/contents/{path}"),
    ("put", "/repos/{owner}/{repo}/contents/{path}"),
    ("get", "/repos/{owner}/{repo}/compare/{basehead}"),
    ("get", "/repos/{owner}/{repo}/pulls"),
    ("post", "/repos/{owner}/{repo}/pulls"),
    ("post", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
    ("post", "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers"),
]
KEEP = ("type", "properties", "items", "required", "nullable", "enum",
        "oneOf", "anyOf", "allOf", "minItems", "additionalProperties")
DEPTH = 3          # answers: deep enough for every field prpost reads
BODY_DEPTH = 12    # requests: whole


def trim(schema, depth=0, limit=DEPTH):
    if not isinstance(schema, dict):
        return schema
    if depth >= limit:
        return {k: schema[k] for k in ("type", "nullable") if k in schema}
    out = {}
    for k in KEEP:
        if k not in schema:
            continue
        v = schema[k]
        if k == "properties":
            v = {n: trim(s, depth + 1, limit) for n, s in v.items()}
        elif k in ("items", "additionalProperties"):
            v = trim(v, depth + 1, limit)
        elif k in ("oneOf", "anyOf", "allOf"):
            v = [trim(s, depth, limit) for s in v]
        out[k] = v
    return out


def json_schema(obj, limit=DEPTH):
    content = (obj or {}).get("content", {})
    for ctype in ("application/json", "application/scim+json"):
        if ctype in content and "schema" in content[ctype]:
            return trim(content[ctype]["schema"], 0, limit)
    return None


def main():
    spec = json.load(open(sys.argv[1]))
    ops = {}
    for method, path in OPERATIONS:
        op = spec["paths"][path][method]
        params = [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                   "schema": trim(p.get("schema", {}))}
                  for p in op.get("parameters", []) if p["in"] in ("path", "query")]
        ops["%s %s" % (method.upper(), path)] = {
            "operationId": op.get("operationId"),
            "parameters": params,
            "requestBody": json_schema(op.get("requestBody"), BODY_DEPTH),
            "responses": {code: json_schema(r) for code, r in op["responses"].items()},
        }
    json.dump({"source": "@octokit/openapi %s, generated/api.github.com.deref.json" % sys.argv[2],
               "openapi": spec.get("openapi"), "operations": ops},
              sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
