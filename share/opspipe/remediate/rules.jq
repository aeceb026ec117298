# rules.jq — opspipe-remediate's rules fixer: the fixes Kubernetes users
# apply by hand, as a table. Used when no model is configured or the model
# fails (and scored by `opspipe-remediate --eval DIR --fixer rules`).
#
# Input: the flow's context record {"failure": <k8spatch failing record>,
# "workload": <the live object>}. Output: a fix proposal as
# share/opspipe/schemas/patch.json has it, plus "rule" (the table row).
#
#   reason      condition                        fix
#   OOMKilled   the container has a memory       resources.limits.memory x2
#               limit the rule can read           (the policy caps it: max,
#                                                 max_factor)
#   OOMKilled   no memory limit, or one that     none: the node ran out, or
#               cannot be read                    the limit is not ours to guess
#   anything    -                                none: a human decides
#   else
#
# Only memory is raised: more memory for a process that was killed for
# lack of it is as safe a change as there is (it never changes what runs,
# and the policy bounds it). A CPU limit, a probe, an image tag or the
# replicas can each be wrong in more than one direction, so they go to a
# human (or to the model, whose proposal the policy judges the same way).

# A Kubernetes quantity with its suffix kept apart: "1.5Gi" -> [1.5, "Gi"];
# null when it is not one this rule doubles (exponents, negative, junk).
def quantity:
  if type == "number" then [., ""]
  elif type == "string" then
    (capture("^(?<n>[0-9]+(\\.[0-9]+)?)(?<u>Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|)$")
     // null) as $m
    | if $m == null then null else [($m.n | tonumber), $m.u] end
  else null end;

# Twice a quantity, in the same unit: "32Mi" -> "64Mi", "0.5Gi" -> "1Gi".
# Bytes without a unit stay an integer.
def doubled:
  quantity as $q
  | if $q == null or $q[0] <= 0 then null
    else ($q[0] * 2) as $n
    | (if $n == ($n | floor) then ($n | floor | tostring) else ($n | tostring) end) + $q[1]
    end;

def containers: .workload.spec.template.spec.containers // .workload.spec.containers // [];

# The failing container: the record's, else the only one.
def target:
  .failure.container as $c
  | [containers[] | select(.name == $c)] as $named
  | if ($named | length) == 1 then $named[0]
    elif ($c == null or $c == "") and (containers | length) == 1 then containers[0]
    else null end;

# The patch for one container, shaped for the workload's kind (a bare Pod
# has no template, and its resources cannot change: no patch for it).
def container_patch($c):
  if .workload.kind == "Pod" then null
  else {spec: {template: {spec: {containers: [$c]}}}} end;

def none($rule; $why):
  {diagnosis: $why, confidence: 0, patch_type: "strategic", patch: null,
   explanation: "No rule fixes this: a person has to decide.", rule: $rule};

def oom:
  target as $t
  | if $t == null then none("oom-no-container"; "OOMKilled, but the failing container is not in the workload's spec.")
    else ($t.resources.limits.memory // null) as $old
    | ($old | doubled) as $new
    | if $old == null then
        none("oom-no-limit"; "Container \($t.name) was OOMKilled without a memory limit: the node ran out of memory, which raising a limit does not fix.")
      elif $new == null then
        none("oom-unreadable-limit"; "Container \($t.name) was OOMKilled; its memory limit \($old | tojson) is not a quantity this rule doubles.")
      else container_patch({name: $t.name, resources: {limits: {memory: $new}}}) as $p
      | if $p == null then
          none("oom-bare-pod"; "Pod container \($t.name) was OOMKilled; a bare Pod's resources cannot be patched, its owner's manifest must change.")
        else
          {diagnosis: "Container \($t.name) was OOMKilled: it needs more memory than its limit of \($old).",
           confidence: 0.6, patch_type: "strategic", patch: $p,
           explanation: "Raise the memory limit of \($t.name) from \($old) to \($new) (twice the limit); the policy bounds the new value.",
           rule: "oom-double-memory"}
        end
      end
    end;

if .failure.reason == "OOMKilled" then oom
else none("no-rule"; "\(.failure.reason // "An unknown failure"): no rule fixes it automatically.")
end
