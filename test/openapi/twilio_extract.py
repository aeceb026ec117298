#!/usr/bin/python3
"""twilio_extract.py - the part of Twilio's OpenAPI description phonecall uses.

    /usr/bin/python3 test/openapi/twilio_extract.py TWILIO_API_V2010_JSON SOURCE \
        > test/openapi/twilio.json

TWILIO_API_V2010_JSON is src/services/twilio-api/twilio_api_v2010.json
from the npm package @twilio/cli-core, which ships Twilio's published
OpenAPI descriptions (twilio-oai); test/openapi/update-twilio.sh fetches
it and runs this. Kept: the Calls operations phonecall sends (create,
fetch, update), their path parameters, their form-encoded request
schemas with every $ref resolved, Twilio's "one of" rule for Url, Twiml
and ApplicationSid, the call resource's schema, and the descriptions of
the parameters whose limits live only in prose (Twiml's 4000
characters, Timeout's 600 seconds). twilio_check.py validates recorded
requests and answers against it.
"""
import json
import sys

OPERATIONS = [
    ("post", "/2010-04-01/Accounts/{AccountSid}/Calls.json"),
    ("get", "/2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json"),
    ("post", "/2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json"),
]
KEEP = ("type", "properties", "items", "required", "nullable", "enum", "pattern",
        "minLength", "maxLength", "format")
PROSE = ("Twiml", "Timeout", "StatusCallbackEvent", "MachineDetection")


def resolve(spec, schema):
    while isinstance(schema, dict) and "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = spec["components"]["schemas"][name]
    return schema


def trim(spec, schema, prose=()):
    schema = resolve(spec, schema)
    if not isinstance(schema, dict):
        return schema
    out = {}
    for k in KEEP:
        if k not in schema:
            continue
        v = schema[k]
        if k == "properties":
            v = {n: trim(spec, s, ()) for n, s in v.items()}
            for n in prose:
                if n in v and "description" in resolve(spec, schema["properties"][n]):
                    v[n]["description"] = resolve(spec, schema["properties"][n])["description"]
        elif k == "items":
            v = trim(spec, v)
        out[k] = v
    return out


def main():
    spec = json.load(open(sys.argv[1]))
    ops = {}
    for method, path in OPERATIONS:
        op = spec["paths"][path][method]
        body = (op.get("requestBody") or {}).get("content", {})
        form = body.get("application/x-www-form-urlencoded", {}).get("schema")
        ops["%s %s" % (method.upper(), path)] = {
            "operationId": op.get("operationId"),
            "parameters": [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                            "schema": trim(spec, p.get("schema", {}))}
                           for p in op.get("parameters", [])],
            "requestBody": trim(spec, form, PROSE) if form else None,
            "oneOf": op.get("x-twilio", {}).get("conditional", []),
            "responses": {code: trim(spec, r["content"]["application/json"]["schema"])
                          for code, r in op["responses"].items() if "content" in r},
            "security": op.get("security"),
        }
    json.dump({"source": sys.argv[2], "openapi": spec.get("openapi"),
               "servers": spec["paths"][OPERATIONS[0][1]].get("servers"),
               "securitySchemes": spec["components"].get("securitySchemes"),
               "events": trim(spec, spec["components"]["schemas"]["call_enum_event"]),
               "operations": ops},
              sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
