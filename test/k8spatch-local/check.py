"""check.py TOOL [KUBECTL...] — runs the local-mode corpus (Debian's python3).

Each directory here is a case: in.yaml (the manifest), patch.json,
args ("TYPE [KIND [NAME]]"), and either
  want.yaml   the whole file TOOL must print, byte for byte, and
  want.json   what `kubectl patch --local -f DOC --type TYPE -p PATCH -o json`
              answers for the document the case patches,
or, for a case TOOL must refuse,
  status      its exit status, and error, a regular expression its message
              matches; with kubectl-fails present, kubectl refuses it too.

Checks, one TAP line each (relayed by test/t/k8spatch-local.sh):
  bytes     TOOL's output equals want.yaml. Every want.yaml was reviewed:
            `diff in.yaml want.yaml` touches only the lines the change must
            touch — the changed values' lines, a deleted entry's lines, the
            new lines — and a changed line keeps its comment and quoting.
  meaning   the patched document of TOOL's output, read as kubectl reads
            YAML (Go's yaml.v2: YAML 1.1, y/n booleans, no timestamps),
            equals want.json — types and all (a quoted "80" is not 80).
  json      a manifest written as JSON is still JSON.
  kubectl   each KUBECTL given, run on the case's document (its own text,
            cut out of in.yaml at the document markers), answers want.json:
            the recorded oracle is checked live against every version here.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SHORT = {"deploy": "deployment", "svc": "service", "cm": "configmap", "po": "pod",
         "sts": "statefulset", "ds": "daemonset", "cj": "cronjob", "sa": "serviceaccount"}


def say(ok, name, detail=""):
    print(("ok " if ok else "not ok ") + name + ("" if ok or not detail else ": " + str(detail)[:300]))
    return ok


class GoLoader(yaml.SafeLoader):
    """YAML read as Go's yaml.v2 (sigs.k8s.io/yaml, kubectl) reads it."""


GoLoader.yaml_implicit_resolvers = {}
BOOLS = {"y": True, "Y": True, "yes": True, "Yes": True, "YES": True, "true": True,
         "True": True, "TRUE": True, "on": True, "On": True, "ON": True,
         "n": False, "N": False, "no": False, "No": False, "NO": False, "false": False,
         "False": False, "FALSE": False, "off": False, "Off": False, "OFF": False}
NULLS = ("", "~", "null", "Null", "NULL")
GO_INT = re.compile(r"^[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$")
GO_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")


def go_plain(s):
    """A plain scalar's value, as yaml.v2 resolves it."""
    if s in NULLS:
        return None
    if s in BOOLS:
        return BOOLS[s]
    if s and (s[0].isdigit() or s[0] in "+-."):
        p = s.replace("_", "") if s[0] != "." else s
        if GO_INT.match(p):
            sign = -1 if p[0] == "-" else 1
            body = p.lstrip("+-")
            if body[:2] in ("0x", "0X"):
                return sign * int(body[2:], 16)
            if body[:2] in ("0o", "0O"):
                return sign * int(body[2:], 8)
            if body[:2] in ("0b", "0B"):
                return sign * int(body[2:], 2)
            if len(body) > 1 and body[0] == "0":
                return sign * int(body, 8)
            return sign * int(body)
        if GO_FLOAT.match(p):
            return float(p)
    return s


def construct_scalar(loader, node):
    if node.style is None and node.tag == "tag:yaml.org,2002:goplain":
        return go_plain(node.value)
    return node.value


def resolve(self, kind, value, implicit):
    if kind is yaml.ScalarNode and implicit[0]:
        if value == "<<":
            return "tag:yaml.org,2002:merge"
        return "tag:yaml.org,2002:goplain"
    return yaml.SafeLoader.resolve(self, kind, value, implicit)


GoLoader.resolve = resolve
GoLoader.add_constructor("tag:yaml.org,2002:goplain", construct_scalar)


def as_json(v):
    """Keys as sigs.k8s.io/yaml turns them into strings."""
    if isinstance(v, dict):
        return {json.dumps(k) if not isinstance(k, str) else k: as_json(x) for k, x in v.items()}
    if isinstance(v, list):
        return [as_json(x) for x in v]
    return v


def same(a, b):
    """Equal JSON values, types included: true is not 1, "80" is not 80."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def documents(text):
    """The file's documents as text, cut at the --- and ... lines."""
    docs, cur = [], []
    for line in text.splitlines(keepends=True):
        if re.match(r"^(---|\.\.\.)(\s|$)", line):
            if cur:
                docs.append("".join(cur))
            cur = [line] if line.startswith("---") else []
        else:
            cur.append(line)
    if cur:
        docs.append("".join(cur))
    return docs


def kind_is(typed, kind):
    t, k = typed.lower(), kind.lower()
    return t in (k, k + "s", k + "es") or SHORT.get(t) == k


def target(text, kind, name):
    """(text, value) of the document a case patches."""
    found = []
    for d in documents(text.lstrip("\ufeff")):
        v = yaml.load(d, Loader=GoLoader)
        if not isinstance(v, dict):
            continue
        if kind is None or (kind_is(kind, str(v.get("kind"))) and
                            (name is None or (v.get("metadata") or {}).get("name") == name)):
            found.append((d, as_json(v)))
    if len(found) != 1:
        raise ValueError("%d documents match" % len(found))
    return found[0]


def run_kubectl(kubectl, doc, ptype, patch):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "doc.yaml")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(doc)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp}
        # --local needs no cluster; an empty kubeconfig keeps any real one
        # (and its credentials) out of it.
        p = subprocess.run([kubectl, "patch", "--local", "--kubeconfig", os.devnull,
                            "-f", path, "--type", ptype, "-p", patch, "-o", "json"],
                           capture_output=True, env=env, timeout=60)
    if p.returncode != 0:
        return None, p.stderr.decode(errors="replace").strip()
    return json.loads(p.stdout), None


def version(kubectl):
    p = subprocess.run([kubectl, "version", "--client", "-o", "json"], capture_output=True)
    try:
        return json.loads(p.stdout)["clientVersion"]["gitVersion"]
    except (ValueError, KeyError):
        return kubectl


def check(case, tool, kubectls):
    d = os.path.join(HERE, case)
    read = lambda f, mode="r": open(os.path.join(d, f), mode).read()
    args = read("args").split()
    ptype, sel = args[0], args[1:]
    patch = read("patch.json").strip()
    cmd = [tool, "patch", "--local", "-f", os.path.join(d, "in.yaml"), "--type", ptype, "-p", patch] + sel
    p = subprocess.run(cmd, capture_output=True, timeout=60)
    err = p.stderr.decode(errors="replace").strip()
    kind = sel[0].split("/")[0] if sel else None
    name = sel[1] if len(sel) > 1 else (sel[0].split("/")[1] if sel and "/" in sel[0] else None)
    text = read("in.yaml", "rb").decode("utf-8")
    if os.path.exists(os.path.join(d, "status")):
        want = int(read("status"))
        say(p.returncode == want and re.search(read("error").strip(), err) is not None,
            "%s: refused with exit %d and a message that says why" % (case, want),
            "exit %d, stderr %r" % (p.returncode, err))
        if os.path.exists(os.path.join(d, "kubectl-fails")):
            try:
                doc = target(text, kind, name)[0]
            except (ValueError, yaml.YAMLError):
                doc = text  # not YAML at all: kubectl gets the whole file
            for k in kubectls:
                got, kerr = run_kubectl(k, doc, ptype, patch)
                say(got is None, "%s: kubectl %s refuses it too" % (case, version(k)), got)
        return
    out = p.stdout
    if not say(p.returncode == 0 and out == read("want.yaml", "rb"),
               "%s: only the lines the change touches change" % case,
               "exit %d %s; diff in %s" % (p.returncode, err, d)):
        sys.stderr.write("--- %s: got\n%s" % (case, out.decode(errors="replace")))
    try:
        json.loads(text)
        try:
            json.loads(out)
            say(True, "%s: a JSON manifest stays JSON" % case)
        except ValueError as e:
            say(False, "%s: a JSON manifest stays JSON" % case, e)
    except ValueError:
        pass  # YAML, not JSON
    want = json.loads(read("want.json"))
    try:
        got = target(out.decode("utf-8"), kind, name)[1]
        say(same(got, want), "%s: the document means what kubectl answers" % case,
            json.dumps(got, sort_keys=True))
    except (ValueError, yaml.YAMLError) as e:
        say(False, "%s: the output reads back" % case, e)
    doc = target(text, kind, name)[0]
    for k in kubectls:
        got, kerr = run_kubectl(k, doc, ptype, patch)
        say(got is not None and same(got, want),
            "%s: kubectl %s answers the recorded value" % (case, version(k)), kerr or json.dumps(got))


def main():
    tool, kubectls = sys.argv[1], sys.argv[2:]
    cases = sorted(c for c in os.listdir(HERE) if os.path.isdir(os.path.join(HERE, c)))
    say(len(cases) >= 30, "the corpus has at least 30 cases", len(cases))
    for case in cases:
        try:
            check(case, tool, kubectls)
        except Exception as e:  # a broken case is a failure, not a crash
            say(False, "%s: case runs" % case, repr(e))


if __name__ == "__main__":
    main()
