#!/usr/bin/python3
"""check.py - recorded GitHub requests against GitHub's OpenAPI description.

    /usr/bin/python3 test/openapi/check.py test/openapi/github.json REQUESTS.json

REQUESTS.json is the fixture's /_requests (test/fixtures/github.py):
each request must be an operation of the description (method and path
template), with declared query parameters of the right types, a body
that matches the request schema (required fields, types, enums, no
property the schema does not know), and a status the operation
documents. The fixture's answer must match the response schema's
types, and every field prpost reads (READS) must be declared by GitHub
and present in the fixture's answer. So neither prpost nor the fixture
can drift from the real API without a failing test. Prints TAP lines.
"""
import json
import re
import sys

# What prpost reads from each answer (src/prpost/github.c); "[]" steps
# into array items; a trailing "?" marks a field the answer may leave
# out (it must still be declared, and complete where it is given).
READS = {
    "GET /repos/{owner}/{repo}": {"200": ["default_branch"]},
    "GET /repos/{owner}/{repo}/git/ref/{ref}": {"200": ["object.sha"]},
    "GET /repos/{owner}/{repo}/git/commits/{commit_sha}": {"200": ["tree.sha"]},
    "GET /repos/{owner}/{repo}/git/trees/{tree_sha}": {
        "200": ["truncated", "tree[].path", "tree[].type", "tree[].sha", "tree[].mode"]},
    "POST /repos/{owner}/{repo}/git/trees": {"201": ["sha"]},
    "POST /repos/{owner}/{repo}/git/commits": {"201": ["sha"]},
    "POST /repos/{owner}/{repo}/git/blobs": {"201": ["sha"]},
    "GET /repos/{owner}/{repo}/git/blobs/{file_sha}": {"200": ["content", "encoding"]},
    "GET /repos/{owner}/{repo}/contents/{path}": {"200": ["type", "encoding", "content", "sha"]},
    "GET /repos/{owner}/{repo}/compare/{basehead}": {"200": ["status"]},
    "GET /repos/{owner}/{repo}/pulls": {"200": ["[].html_url", "[].number"]},
    "POST /repos/{owner}/{repo}/pulls": {"201": ["html_url", "number"],
                                         "422": ["message", "errors[].message?"]},
    "POST /repos/{owner}/{repo}/git/refs": {"422": ["message"]},
    "PATCH /repos/{owner}/{repo}/git/refs/{ref}": {"422": ["message"]},
}
# Answers any operation may give: authentication, rate limits, outages.
GLOBAL_STATUS = {"401", "403", "429", "500", "502", "503"}
MULTI_SEGMENT = {"ref", "path", "basehead"}
TYPES = {"string": str, "boolean": bool, "object": dict, "array": list}


def type_ok(t, v):
    if t == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if t == "null":
        return v is None
    return isinstance(v, TYPES.get(t, object))


def validate(schema, v, where, errs, strict):
    """strict: request bodies (required enforced, unknown properties refused)."""
    if not schema:
        return
    for key in ("oneOf", "anyOf"):
        if key in schema:
            tries = []
            for alt in schema[key]:
                e = []
                validate(alt, v, where, e, strict)
                tries.append(e)
            if not any(not e for e in tries):
                errs.append("%s: matches none of %s (%s)" % (where, key, min(tries, key=len)[0]))
            return
    for alt in schema.get("allOf", []):
        validate(alt, v, where, errs, strict)
    t = schema.get("type")
    if v is None:
        if t and not schema.get("nullable") and t != "null":
            errs.append("%s: null where %s is expected" % (where, t))
        return
    types = t if isinstance(t, list) else [t] if t else []
    if types and not any(type_ok(x, v) for x in types):
        errs.append("%s: %s where %s is expected" % (where, type(v).__name__, t))
        return
    if "enum" in schema and v not in schema["enum"]:
        errs.append("%s: %r is not one of %s" % (where, v, schema["enum"]))
    if isinstance(v, dict):
        props = schema.get("properties", {})
        if strict:
            for r in schema.get("required", []):
                if r not in v:
                    errs.append("%s: required field '%s' missing" % (where, r))
            if props:
                for k in v:
                    if k not in props:
                        errs.append("%s: field '%s' is not in GitHub's schema" % (where, k))
        for k, x in v.items():
            if k in props:
                validate(props[k], x, "%s.%s" % (where, k), errs, strict)
    if isinstance(v, list):
        if strict and len(v) < schema.get("minItems", 0):
            errs.append("%s: fewer than %d items" % (where, schema["minItems"]))
        for i, x in enumerate(v):
            validate(schema.get("items"), x, "%s[%d]" % (where, i), errs, strict)


def template_re(path):
    def seg(m):
        return "(?P<%s>%s)" % (m.group(1), ".+" if m.group(1) in MULTI_SEGMENT else "[^/]+")
    return re.compile("^" + re.sub(r"\{(\w+)\}", seg, re.escape(path).replace(r"\{", "{").replace(r"\}", "}")) + "$")


def find_op(ops, method, path):
    best = None
    for key, op in ops.items():
        m, tpl = key.split(" ", 1)
        if m != method:
            continue
        match = template_re(tpl).match(path)
        # the most literal template wins (/git/refs/{ref} over {path} ones)
        if match and (best is None or len(tpl) > len(best[0].split(" ", 1)[1])):
            best = (key, op, match)
    return best


def schema_has(schema, steps):
    """Whether the schema declares the field at steps (any alternative)."""
    if not schema:
        return False
    for key in ("oneOf", "anyOf", "allOf"):
        if key in schema:
            return any(schema_has(s, steps) for s in schema[key])
    if not steps:
        return True
    step = steps[0]
    if step == "[]":
        return schema_has(schema.get("items"), steps[1:])
    return schema_has(schema.get("properties", {}).get(step), steps[1:])


def split(field):
    out = []
    for part in field.split("."):
        if part.endswith("[]"):
            if part[:-2]:
                out.append(part[:-2])
            out.append("[]")
        else:
            out.append(part)
    return out


def present(v, steps):
    if not steps:
        return True
    if steps[0] == "[]":
        return isinstance(v, list) and all(present(x, steps[1:]) for x in v)
    return isinstance(v, dict) and steps[0] in v and present(v[steps[0]], steps[1:])


def main():
    ops = json.load(open(sys.argv[1]))["operations"]
    reqs = json.load(open(sys.argv[2]))
    n = 0

    def report(good, text, details=()):
        nonlocal n
        n += 1
        print(("ok - " if good else "not ok - ") + text)
        for d in list(details)[:5]:
            print("#   " + d)

    for key, fields in sorted(READS.items()):
        for status, names in sorted(fields.items()):
            resp = ops[key]["responses"].get(status)
            missing = [f for f in names if not schema_has(resp, split(f.rstrip("?")))]
            report(not missing, "GitHub declares what prpost reads from %s (%s)" % (key, status),
                   ["not in the %s response schema: %s" % (status, f) for f in missing])
    seen = {}
    for r in reqs:
        found = find_op(ops, r["method"], r["path"])
        if found is None:
            report(False, "%s %s is an operation of GitHub's API" % (r["method"], r["path"]))
            continue
        key, op, match = found
        errs = []
        for p in op["parameters"]:
            if p["in"] == "path" and p["schema"].get("type") == "integer" and \
                    not match.group(p["name"]).isdigit():
                errs.append("path parameter %s is not an integer" % p["name"])
        declared = {p["name"]: p for p in op["parameters"] if p["in"] == "query"}
        for q, vals in r.get("query", {}).items():
            if q not in declared:
                errs.append("query parameter '%s' is not declared" % q)
                continue
            for v in vals:
                s = declared[q]["schema"]
                if s.get("type") == "integer" and not v.isdigit():
                    errs.append("query %s=%s is not an integer" % (q, v))
                if "enum" in s and v not in s["enum"]:
                    errs.append("query %s=%s is not one of %s" % (q, v, s["enum"]))
        for p in declared.values():
            if p["required"] and p["name"] not in r.get("query", {}):
                errs.append("query parameter '%s' is required" % p["name"])
        if op["requestBody"] is not None and r["method"] in ("POST", "PATCH", "PUT"):
            validate(op["requestBody"], r["body"], "body", errs, True)
        elif r.get("body") not in (None, ""):
            errs.append("a body where the operation takes none")
        status = str(r["status"])
        if status not in op["responses"] and status not in GLOBAL_STATUS:
            errs.append("status %s is not documented (%s)" % (status, ", ".join(sorted(op["responses"]))))
        resp = op["responses"].get(status)
        if resp is not None:
            validate(resp, r.get("response"), "answer", errs, False)
            for f in READS.get(key, {}).get(status, []):
                steps = split(f.rstrip("?"))
                ans = r.get("response")
                if f.endswith("?") and not (isinstance(ans, dict) and steps[0] in ans):
                    continue
                if not present(ans, steps):
                    errs.append("the fixture's answer lacks '%s'" % f)
        s = seen.setdefault(key, {"n": 0, "errs": []})
        s["n"] += 1
        s["errs"].extend("%s %s: %s" % (r["method"], r["path"], e) for e in errs)
    for key, s in sorted(seen.items()):
        report(not s["errs"], "%s: %d request(s) and answers match GitHub's description" % (key, s["n"]),
               s["errs"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
