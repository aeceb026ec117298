#!/usr/bin/python3
"""Check a Prometheus configuration's kubernetes_sd_configs, which Debian's
promtool 2.42 (built without Kubernetes discovery) rejects, and write a copy
promtool can check for everything else.

    promconfig.py CONFIG COPY DIR RULES...

Prints "ok NAME" / "not ok NAME: DETAIL" lines (test/lib.sh's relay_tap).
Every kubernetes_sd_config block is held to the schema Prometheus documents
(docs/configuration/configuration.md, <kubernetes_sd_config>): known keys,
a known role, namespaces and selectors of the right shape, selectors only
of roles the discovery role supports, attach_metadata only where it is
valid, exclusive settings not combined. Every __meta_kubernetes_* label a
job's relabel_configs read must be one the role attaches.

COPY is CONFIG with each kubernetes_sd_configs list replaced by a static
target (so promtool still checks the relabelling), rule_files replaced by
RULES, and files the pod would have (the ServiceAccount token and CA)
pointed at stand-ins created in DIR.
"""
import os
import re
import sys

import yaml

ROLES = {"endpoints", "endpointslice", "service", "pod", "node", "ingress"}
HTTP_KEYS = {"basic_auth", "authorization", "oauth2", "proxy_url", "no_proxy",
             "proxy_from_environment", "proxy_connect_header", "follow_redirects",
             "enable_http2", "tls_config", "bearer_token", "bearer_token_file"}
SD_KEYS = {"api_server", "role", "kubeconfig_file", "namespaces", "selectors",
           "attach_metadata"} | HTTP_KEYS
TLS_KEYS = {"ca", "ca_file", "cert", "cert_file", "key", "key_file", "server_name",
            "insecure_skip_verify", "min_version", "max_version"}
# Which selector roles each discovery role accepts ("The endpoints role
# supports pod, service and endpoints selectors ... Other roles only
# support selectors matching the role itself"); pod accepts node selectors
# with attach_metadata.node.
SELECTOR_ROLES = {"endpoints": {"pod", "service", "endpoints"},
                  "endpointslice": {"pod", "service", "endpointslice"},
                  "pod": {"pod", "node"}, "service": {"service"},
                  "node": {"node"}, "ingress": {"ingress"}}
ATTACH_METADATA_ROLES = {"pod", "endpoints", "endpointslice"}

# Meta labels per role; a trailing "_" is a prefix followed by a label name.
NODE = ["__meta_kubernetes_node_name", "__meta_kubernetes_node_provider_id",
        "__meta_kubernetes_node_label_", "__meta_kubernetes_node_labelpresent_",
        "__meta_kubernetes_node_annotation_", "__meta_kubernetes_node_annotationpresent_",
        "__meta_kubernetes_node_address_"]
SERVICE = ["__meta_kubernetes_namespace"] + ["__meta_kubernetes_service_" + x for x in (
    "annotation_", "annotationpresent_", "cluster_ip", "loadbalancer_ip", "external_name",
    "label_", "labelpresent_", "name", "port_name", "port_number", "port_protocol", "type")]
POD = ["__meta_kubernetes_namespace"] + ["__meta_kubernetes_pod_" + x for x in (
    "name", "ip", "label_", "labelpresent_", "annotation_", "annotationpresent_",
    "container_init", "container_name", "container_id", "container_image",
    "container_port_name", "container_port_number", "container_port_protocol",
    "ready", "phase", "node_name", "host_ip", "uid", "controller_kind", "controller_name")]
ENDPOINTS = ["__meta_kubernetes_namespace"] + ["__meta_kubernetes_endpoints_" + x for x in (
    "name", "label_", "labelpresent_", "annotation_", "annotationpresent_")] + [
    "__meta_kubernetes_endpoint_" + x for x in (
        "hostname", "node_name", "ready", "port_name", "port_protocol",
        "address_target_kind", "address_target_name")] + SERVICE + POD
ENDPOINTSLICE = ["__meta_kubernetes_namespace"] + ["__meta_kubernetes_endpointslice_" + x for x in (
    "name", "label_", "labelpresent_", "annotation_", "annotationpresent_",
    "address_target_kind", "address_target_name", "address_type",
    "endpoint_conditions_ready", "endpoint_conditions_serving",
    "endpoint_conditions_terminating", "endpoint_topology_kubernetes_io_hostname",
    "endpoint_topology_present_kubernetes_io_hostname", "endpoint_hostname",
    "endpoint_node_name", "endpoint_zone", "port", "port_name", "port_protocol")] + SERVICE + POD
INGRESS = ["__meta_kubernetes_namespace"] + ["__meta_kubernetes_ingress_" + x for x in (
    "name", "label_", "labelpresent_", "annotation_", "annotationpresent_",
    "class_name", "scheme", "path")]
META = {"node": NODE, "service": SERVICE, "pod": POD, "endpoints": ENDPOINTS,
        "endpointslice": ENDPOINTSLICE, "ingress": INGRESS}
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*$")


def say(ok, name, detail=""):
    print(("ok " if ok else "not ok ") + name + ("" if ok else ": " + str(detail)))


def meta_ok(label, roles, attach_node):
    """Whether some role in ROLES attaches LABEL."""
    for role in roles:
        names = META[role] + (NODE if attach_node and role in ATTACH_METADATA_ROLES else [])
        for n in names:
            if n.endswith("_") and label.startswith(n) and LABEL_NAME.match(label[len(n):]):
                return True
            if label == n:
                return True
    return False


def check_sd(where, sd):
    """Hold one kubernetes_sd_config to the documented schema."""
    if not isinstance(sd, dict):
        say(False, where + ": is a mapping", sd)
        return None
    unknown = sorted(set(sd) - SD_KEYS)
    say(not unknown, where + ": only documented keys", unknown)
    role = sd.get("role")
    say(role in ROLES, where + ": role is one of " + ", ".join(sorted(ROLES)), role)
    say(not ("api_server" in sd and "kubeconfig_file" in sd),
        where + ": api_server and kubeconfig_file are exclusive")
    auths = [k for k in ("basic_auth", "authorization", "oauth2") if k in sd]
    say(len(auths) <= 1, where + ": one authentication method at most", auths)
    ns = sd.get("namespaces", {})
    ok = isinstance(ns, dict) and set(ns) <= {"own_namespace", "names"} \
        and isinstance(ns.get("own_namespace", False), bool) \
        and isinstance(ns.get("names", []), list) \
        and all(isinstance(n, str) and n for n in ns.get("names", []))
    say(ok, where + ": namespaces is {own_namespace: bool, names: [string]}", ns)
    sels = sd.get("selectors", [])
    ok = isinstance(sels, list) and all(
        isinstance(s, dict) and set(s) <= {"role", "label", "field"} and
        s.get("role") in SELECTOR_ROLES.get(role, set()) and
        all(isinstance(s.get(k, ""), str) for k in ("label", "field")) for s in sels)
    say(ok, where + ": selectors name roles the %s role supports" % role, sels)
    am = sd.get("attach_metadata", {})
    ok = isinstance(am, dict) and set(am) <= {"node"} and isinstance(am.get("node", False), bool) \
        and (not am or role in ATTACH_METADATA_ROLES)
    say(ok, where + ": attach_metadata is {node: bool}, for pod and endpoints roles", am)
    tls = sd.get("tls_config", {})
    say(isinstance(tls, dict) and set(tls) <= TLS_KEYS, where + ": tls_config keys", tls)
    return role if role in ROLES else None


def check_job(where, job):
    """The SD blocks of one job, and the meta labels its relabelling reads."""
    sds = job.get("kubernetes_sd_configs")
    if sds is None:
        return
    say(isinstance(sds, list) and len(sds) > 0, where + ": kubernetes_sd_configs is a list")
    roles, attach = set(), False
    for i, sd in enumerate(sds if isinstance(sds, list) else []):
        r = check_sd("%s kubernetes_sd_configs[%d]" % (where, i), sd)
        if r:
            roles.add(r)
        attach = attach or (isinstance(sd, dict) and (sd.get("attach_metadata") or {}).get("node") is True)
    used = []
    for rc in job.get("relabel_configs") or []:
        used += [s for s in rc.get("source_labels") or [] if s.startswith("__meta_")]
    bad = [u for u in used if not meta_ok(u, roles, attach)]
    say(not bad, "%s: relabelling reads only meta labels the %s role attaches" %
        (where, "/".join(sorted(roles)) or "?"), bad)


def stand_in(v, tmp):
    """Pod-only files (/var/run/secrets/...) become files under TMP."""
    if isinstance(v, str) and v.startswith("/var/run/secrets/"):
        path = os.path.join(tmp, v.lstrip("/").replace("/", "_"))
        open(path, "a").close()
        return path
    return v


def strip(node, tmp):
    """A copy promtool 2.42 accepts: SD blocks become a static target."""
    if isinstance(node, list):
        return [strip(x, tmp) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k == "kubernetes_sd_configs":
            out["static_configs"] = [{"targets": ["sd.invalid:80"]}]
        elif k in ("credentials_file", "bearer_token_file", "ca_file", "cert_file", "key_file"):
            out[k] = stand_in(v, tmp)
        else:
            out[k] = strip(v, tmp)
    return out


def main():
    config, copy, tmp = sys.argv[1:4]
    rules = sys.argv[4:]
    c = yaml.safe_load(open(config))
    for i, job in enumerate(c.get("scrape_configs") or []):
        check_job("scrape_configs[%d] (%s)" % (i, job.get("job_name")), job)
    for i, am in enumerate((c.get("alerting") or {}).get("alertmanagers") or []):
        check_job("alerting.alertmanagers[%d]" % i, am)
    out = strip(c, tmp)
    if rules:
        out["rule_files"] = rules
    with open(copy, "w") as f:
        yaml.safe_dump(out, f, sort_keys=False)


main()
