#!/usr/bin/python3
"""twilio_check.py - recorded Twilio requests against Twilio's OpenAPI description.

    /usr/bin/python3 test/openapi/twilio_check.py test/openapi/twilio.json REQUESTS.json

REQUESTS.json is the fixture's /_requests (test/fixtures/twilio.py). Each
request must be an operation of the description (method and path
template, path parameters matching their patterns); its form parameters
must be declared by the operation's request schema, typed as it says
(integers, booleans, enums, arrays repeated), with the required ones and
one of Url/Twiml/ApplicationSid present, and within the limits the
description states in prose (Twiml's characters, Timeout's seconds,
MachineDetection's values, StatusCallbackEvent's events). The status must
be one the operation documents (or an error any request may get), and a
2xx answer must match the call resource's schema; every field phonecall
reads (READS) must be declared by Twilio and present in the fixture's
answer. So neither phonecall nor the fixture can drift from Twilio's
description without a failing test. Prints TAP lines.
"""
import json
import re
import sys

# What phonecall reads from each answer (src/phonecall/twilio.c).
READS = {
    "POST /2010-04-01/Accounts/{AccountSid}/Calls.json": {"201": ["sid", "status"]},
    "GET /2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json": {"200": ["status", "answered_by"]},
}
GLOBAL_STATUS = {"400", "401", "403", "404", "429", "500", "502", "503"}
TYPES = {"string": str, "boolean": bool, "object": dict, "array": list}


def validate(schema, v, where, errs):
    if not schema:
        return
    t = schema.get("type")
    if v is None:
        if t and not schema.get("nullable"):
            errs.append("%s: null where %s is expected" % (where, t))
        return
    if t == "integer":
        ok = isinstance(v, int) and not isinstance(v, bool)
    elif t == "number":
        ok = isinstance(v, (int, float)) and not isinstance(v, bool)
    else:
        ok = isinstance(v, TYPES.get(t, object))
    if not ok:
        errs.append("%s: %s where %s is expected" % (where, type(v).__name__, t))
        return
    if "enum" in schema and v not in schema["enum"]:
        errs.append("%s: %r is not one of %s" % (where, v, schema["enum"]))
    if isinstance(v, str) and "pattern" in schema and not re.search(schema["pattern"], v):
        errs.append("%s: %r does not match %s" % (where, v, schema["pattern"]))
    if isinstance(v, dict):
        for k, x in v.items():
            if k in schema.get("properties", {}):
                validate(schema["properties"][k], x, "%s.%s" % (where, k), errs)


def form_value(schema, name, vals, errs):
    """A form parameter's values against its (form-encoded) schema."""
    t = schema.get("type")
    if t != "array" and len(vals) > 1:
        errs.append("parameter %s given %d times" % (name, len(vals)))
    for v in vals:
        s = schema.get("items", {}) if t == "array" else schema
        st = s.get("type")
        if st == "integer" and not re.fullmatch(r"-?\d+", v):
            errs.append("parameter %s=%r is not an integer" % (name, v))
        if st == "boolean" and v not in ("true", "false"):
            errs.append("parameter %s=%r is not a boolean" % (name, v))
        if "enum" in s and v not in s["enum"]:
            errs.append("parameter %s=%r is not one of %s" % (name, v, s["enum"]))
        if "pattern" in s and not re.search(s["pattern"], v):
            errs.append("parameter %s=%r does not match %s" % (name, v, s["pattern"]))


def prose_limits(props, params, events, errs):
    """The limits Twilio's description states only in words."""
    d = props.get("Twiml", {}).get("description", "")
    m = re.search(r"Max (\d+) characters", d)
    for v in params.get("Twiml", []):
        if not m:
            errs.append("the description no longer states Twiml's limit")
        elif len(v) > int(m.group(1)):
            errs.append("Twiml has %d characters, Twilio takes %s" % (len(v), m.group(1)))
    d = props.get("Timeout", {}).get("description", "")
    m = re.search(r"maximum is `(\d+)` seconds", d)
    for v in params.get("Timeout", []):
        if not m or not v.isdigit() or not 1 <= int(v) <= int(m.group(1)):
            errs.append("Timeout=%s is outside 1..%s" % (v, m.group(1) if m else "?"))
    d = props.get("MachineDetection", {}).get("description", "")
    allowed = re.findall(r"`(\w+)`", d.split("Can be:")[1].split(".")[0]) if "Can be:" in d else []
    for v in params.get("MachineDetection", []):
        if v not in allowed:
            errs.append("MachineDetection=%s is not one of %s" % (v, allowed))
    for v in params.get("StatusCallbackEvent", []):
        for e in v.split():
            if e not in events["enum"]:
                errs.append("StatusCallbackEvent %s is not one of %s" % (e, events["enum"]))


def template_re(path):
    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$")


def find_op(ops, method, path):
    for key, op in ops.items():
        m, tpl = key.split(" ", 1)
        match = template_re(tpl).match(path)
        if m == method and match:
            return key, op, match
    return None


def schema_has(schema, field):
    return bool(schema) and field in schema.get("properties", {})


def check_request(r, key, op, match):
    errs = []
    for p in op["parameters"]:
        if p["in"] == "path":
            v = match.group(p["name"])
            if "pattern" in p["schema"] and not re.search(p["schema"]["pattern"], v):
                errs.append("path parameter %s=%s does not match %s" % (p["name"], v,
                                                                        p["schema"]["pattern"]))
    body = op["requestBody"]
    params = r.get("params") or {}
    if body is None:
        if params:
            errs.append("form parameters where the operation takes none")
    else:
        props = body.get("properties", {})
        for name, vals in params.items():
            if name not in props:
                errs.append("parameter '%s' is not in Twilio's schema" % name)
            else:
                form_value(props[name], name, vals, errs)
        for name in body.get("required", []):
            if name not in params:
                errs.append("required parameter '%s' missing" % name)
        lower = {n.lower().replace("_", ""): n for n in params}
        for group in op.get("oneOf", []):
            if not any(g.replace("_", "") in lower for g in group):
                errs.append("none of %s given" % group)
        prose_limits(props, params, EVENTS, errs)
    status = str(r["status"])
    if status not in op["responses"] and status not in GLOBAL_STATUS:
        errs.append("status %s is not documented (%s)" % (status, ", ".join(sorted(op["responses"]))))
    resp = op["responses"].get(status)
    if resp is not None:
        validate(resp, r.get("response"), "answer", errs)
        for f in READS.get(key, {}).get(status, []):
            if not isinstance(r.get("response"), dict) or f not in r["response"]:
                errs.append("the fixture's answer lacks '%s'" % f)
    elif status in GLOBAL_STATUS:
        e = r.get("response") or {}
        for f in ("code", "message", "more_info", "status"):
            if f not in e:
                errs.append("the error answer lacks '%s'" % f)
    return errs


EVENTS = {}


def main():
    desc = json.load(open(sys.argv[1]))
    ops = desc["operations"]
    EVENTS.update(desc["events"])
    reqs = json.load(open(sys.argv[2]))
    n = 0

    def report(good, text, details=()):
        nonlocal n
        n += 1
        print(("ok - " if good else "not ok - ") + text)
        for d in list(details)[:20]:
            print("#   " + d)

    for key, fields in sorted(READS.items()):
        for status, names in sorted(fields.items()):
            missing = [f for f in names if not schema_has(ops[key]["responses"].get(status), f)]
            report(not missing, "Twilio declares what phonecall reads from %s (%s)" % (key, status),
                   ["not in the %s response schema: %s" % (status, f) for f in missing])
    seen = {}
    for r in reqs:
        found = find_op(ops, r["method"], r["path"])
        if found is None:
            report(False, "%s %s is an operation of Twilio's API" % (r["method"], r["path"]))
            continue
        key, op, match = found
        s = seen.setdefault(key, {"n": 0, "errs": []})
        s["n"] += 1
        s["errs"].extend("%s %s: %s" % (r["method"], r["path"], e)
                         for e in check_request(r, key, op, match))
    for key, s in sorted(seen.items()):
        report(not s["errs"], "%s: %d request(s) and answers match Twilio's description" % (key, s["n"]),
               s["errs"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
