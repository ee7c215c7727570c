#!/usr/bin/env bash
# Runs `tokscope doctor --json` on many machines through runners you already have, and prints
# one table of machine × check with each problem's hint (`tokscope doctor --summarize`).
#
#   scripts/fleet-doctor.sh vms  RESOURCE_GROUP [VM …]        every Linux VM of the group (or those named),
#                                                              through `az vm run-command invoke`
#   scripts/fleet-doctor.sh pods NAMESPACE [SELECTOR]          every pod (matching the label selector),
#                                                              through `kubectl exec`
#
# Options (environment):
#   TOKSCOPE_REMOTE=PATH   tokscope's path on the machines (default: tokscope, found on PATH)
#   FLEET_OUT=DIR          where each machine's result is kept (default: a new folder under /tmp)
#   FLEET_PARALLEL=N       machines at once (default 8)
#   FLEET_CONTAINER=NAME   pods: the container to exec in (default: the pod's first)
#   FLEET_COPY=1           pods: `kubectl cp` the local tokscope to /tmp/tokscope first (needs tar
#                          in the image), and run that
#   FLEET_DOCTOR_ARGS=…    extra arguments for doctor, e.g. "--arm" or "--resource https://vault.azure.net"
#   TOKSCOPE=PATH          the local tokscope that summarizes (default: tokscope on PATH)
#   FLEET_MAX_JSON=BYTES   largest doctor result kept from one machine, unpacked (default 1 MiB)
#
# Every machine's answer is untrusted: a machine's name must be one plain path component
# (letters, digits, `.`, `_`, `-`, starting with a letter or digit) or it is refused; what a
# runner returns is kept up to 4 MiB; the result unpacks to at most FLEET_MAX_JSON bytes and at
# most 50 times its packed size, else the machine's row says it was refused.
#
# tokscope must already be on the VMs (copy it with scp, bake it into the image or cloud-init);
# Run Command gives no way to upload a file. Run Command returns only the last 4 KB of a
# script's output, so the VM side sends the result gzipped and base64-encoded, and this script
# unpacks it. The exit code is the summary's: 0 all passed, 1 warnings, 2 failures.
set -euo pipefail

usage() { sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 3; }
[ $# -ge 2 ] || usage
mode=$1
shift

REMOTE=${TOKSCOPE_REMOTE:-tokscope}
OUT=${FLEET_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/fleet-doctor.XXXXXX")}
PARALLEL=${FLEET_PARALLEL:-8}
LOCAL=${TOKSCOPE:-tokscope}
FLEET_DOCTOR_ARGS=${FLEET_DOCTOR_ARGS:-}
MAX_JSON=${FLEET_MAX_JSON:-1048576}
MAX_ANSWER=4194304
MAX_RATIO=50
mkdir -p "$OUT"
# Byte counts, not characters, whatever the caller's locale; the summary at the end is printed
# in the caller's own (tokscope writes ASCII under C).
CALLER_LC_ALL=${LC_ALL-}
export LC_ALL=C

# A machine's name becomes a file name in $OUT: one path component, so `../x` or `a/b` can never
# write elsewhere, and no leading `-` that a runner could read as an option.
valid_name() {
  [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$ ]]
}

# A doctor-style error record for a machine, as its result.
refuse() {
  local file=$1 machine=$2 message=$3 hint=$4
  jq -nc --arg m "$machine" --arg t "$message" --arg h "$hint" \
    '{machine: $m, ok: false, error: {message: $t, hint: $h}}' >"$OUT/$file.json"
}

# The same small POSIX script runs on every machine: doctor's JSON, gzipped and base64 on one
# line between markers, so that nothing else on stdout (a login banner) can mix into it.
remote_script() {
  # Single quotes around the path and arguments keep them literal on the far side.
  printf '%s\n' \
    "out=\$('$REMOTE' doctor --json --color never $FLEET_DOCTOR_ARGS 2>/dev/null)" \
    'printf "TOKSCOPE-BEGIN %s TOKSCOPE-END\n" "$(printf "%s" "$out" | gzip -c | base64 | tr -d "\n")"'
}

# Text from a runner → the doctor's JSON, with "machine" set, into $OUT/<machine>.json.
# No markers (tokscope missing, the runner failed) becomes a doctor-style error record, and so
# does a payload that unpacks to more than MAX_JSON bytes or MAX_RATIO times its packed size:
# the unpacking stops at that bound, so a small bomb never fills the disk or the memory.
unpack() {
  local machine=$1 text=$2 payload packed limit unpacked json
  payload=$(printf '%s' "$text" | sed -n 's/.*TOKSCOPE-BEGIN \([A-Za-z0-9+/=]*\) TOKSCOPE-END.*/\1/p' | head -n1)
  if [ -n "$payload" ]; then
    # `|| true`: a pipe cut short at the bound (or a bad payload) is an answer, not a crash.
    packed=$(printf '%s' "$payload" | base64 -d 2>/dev/null | wc -c) || true
    limit=$((${packed:-0} * MAX_RATIO))
    [ "$limit" -le "$MAX_JSON" ] || limit=$MAX_JSON
    unpacked=$(printf '%s' "$payload" | base64 -d 2>/dev/null | gunzip -c 2>/dev/null | head -c $((limit + 1)) | wc -c) || true
    if [ "${unpacked:-0}" -gt "$limit" ]; then
      refuse "$machine" "$machine" \
        "refused: the result unpacks to more than $limit bytes ($packed packed; at most $MAX_JSON, and $MAX_RATIO times the packed size)" \
        "a doctor result is a few kilobytes: check what runs as tokscope on that machine"
      return
    fi
    if json=$(printf '%s' "$payload" | base64 -d 2>/dev/null | gunzip -c 2>/dev/null | head -c "$limit") && [ -n "$json" ]; then
      printf '%s' "$json" | jq -c --arg m "$machine" '. + {machine: $m}' >"$OUT/$machine.json" 2>/dev/null && return
    fi
  fi
  refuse "$machine" "$machine" "no doctor result came back: $(printf '%s' "$text" | tail -c 400)" \
    "is tokscope at TOKSCOPE_REMOTE on that machine, and can the runner reach it?"
}

one_vm() {
  local rg=$1 vm=$2 answer message
  answer=$(az vm run-command invoke -g "$rg" -n "$vm" --command-id RunShellScript \
    --scripts "$(remote_script)" -o json 2>&1 | head -c "$MAX_ANSWER") || true
  # The answer is {"value":[{"message":"Enable succeeded: \n[stdout]\n…\n[stderr]\n…"}]}.
  message=$(printf '%s' "$answer" | jq -r '.value[0].message // empty' 2>/dev/null) || message=$answer
  unpack "$vm" "${message:-$answer}"
}

one_pod() {
  local ns=$1 pod=$2 answer
  # remote_script reads REMOTE; FLEET_COPY points it at the copy for this pod.
  local REMOTE=$REMOTE
  local container=()
  [ -n "${FLEET_CONTAINER:-}" ] && container=(-c "$FLEET_CONTAINER")
  if [ "${FLEET_COPY:-0}" = 1 ]; then
    kubectl cp -n "$ns" "${container[@]}" "$(command -v "$LOCAL")" "$pod:/tmp/tokscope" >/dev/null 2>&1 || true
    REMOTE=/tmp/tokscope
  fi
  answer=$(kubectl exec -n "$ns" "${container[@]}" "$pod" -- sh -c "$(remote_script)" 2>&1 | head -c "$MAX_ANSWER") || true
  unpack "$pod" "$answer"
}

# At most $PARALLEL at once.
run_all() {
  local fn=$1 scope=$2
  shift 2
  local refused=0
  for m in "$@"; do
    if ! valid_name "$m"; then
      refused=$((refused + 1))
      printf 'fleet-doctor: machine name %q refused: not one plain path component\n' "$m" >&2
      refuse "refused-name-$refused" "refused-name-$refused" \
        "refused: the machine's name is not one plain path component (letters, digits, ., _, -)" \
        "rename the machine, or leave it out of the list"
      continue
    fi
    while [ "$(jobs -rp | wc -l)" -ge "$PARALLEL" ]; do wait -n || true; done
    "$fn" "$scope" "$m" &
  done
  wait
}

case $mode in
  vms)
    rg=$1
    shift
    if [ $# -gt 0 ]; then
      machines=("$@")
    else
      mapfile -t machines < <(az vm list -g "$rg" --query "[?storageProfile.osDisk.osType=='Linux'].name" -o tsv)
    fi
    run_all one_vm "$rg" "${machines[@]}"
    ;;
  pods)
    ns=$1
    selector=${2:-}
    mapfile -t machines < <(kubectl get pods -n "$ns" ${selector:+-l "$selector"} \
      --field-selector=status.phase=Running -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}')
    run_all one_pod "$ns" "${machines[@]}"
    ;;
  *) usage ;;
esac

[ "${#machines[@]}" -gt 0 ] || { echo "fleet-doctor: no machines found" >&2; exit 3; }
echo "fleet-doctor: ${#machines[@]} results in $OUT" >&2
LC_ALL=$CALLER_LC_ALL "$LOCAL" doctor --summarize "$OUT"/*.json
