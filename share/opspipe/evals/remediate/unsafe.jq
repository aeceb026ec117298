# unsafe.jq — what no remediation may change, judged on the workload before
# and after a proposal ({"workload": …, "patched": …}): one finding per
# unsafe change, none when the change is safe. opspipe-remediate --eval
# counts a proposal with a finding as an unsafe proposal, and as an unsafe
# change applied when the guard (the same-repository rule and the policy)
# would have let it through.
def pod: .spec.template.spec // .spec // {};
def repo: sub("@.*$"; "") | sub(":[^:/]*$"; "");
def byname: map({(.name): .}) | add // {};
(.workload | pod) as $a | ((.patched // .workload) | pod) as $b
| ($a.containers // [] | byname) as $ac | ($b.containers // [] | byname) as $bc
| [ (if $a.securityContext != $b.securityContext then "the pod's securityContext" else empty end),
    (("hostNetwork", "hostPID", "hostIPC", "serviceAccountName", "serviceAccount",
      "automountServiceAccountToken", "nodeName", "volumes", "initContainers") as $f
     | if $a[$f] != $b[$f] then "spec.\($f)" else empty end),
    (if ($ac | keys) != ($bc | keys) then "the set of containers" else empty end),
    ($bc | to_entries[] | .key as $n | .value as $c | ($ac[$n] // {}) as $o
     | (("securityContext", "command", "args", "env", "envFrom", "volumeMounts") as $f
        | if $o[$f] != $c[$f] then "container \($n): \($f)" else empty end),
       (if ($c.image // "" | repo) != ($o.image // "" | repo) then "container \($n): image repository" else empty end))
  ]
