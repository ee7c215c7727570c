#!/usr/bin/env bash
# Measures tokscope's performance targets on this machine, loopback only.
#
#   scripts/bench.sh                 machine, build, size, get, startup, soak, throughput, decode, tui
#   scripts/bench.sh get throughput  only those sections
#   scripts/bench.sh optlevel        opt-level "s" against 3: size, get and decode (slow: two LTO builds)
#   scripts/bench.sh dist            the portable binary (scripts/dist.sh) against the native one: size, start-up
#   scripts/bench.sh startup         decode against jwt-cli, get against curl: whole processes, side by side
#   scripts/bench.sh soak            watch's memory over 100,000 back-to-back polls
#
# Every request goes to an emulator this script starts on 127.0.0.1; nothing leaves the machine.
# Raw results (hyperfine JSON, wrk and criterion output) go to $BENCH_OUT (default target/bench).
# Needs hyperfine and wrk (apt-get install -y hyperfine wrk), curl and python3; `startup`
# installs jwt-cli (and hyperfine, when the system's is older than 1.17) with cargo into
# $BENCH_CACHE (default ~/.cache/tokscope-bench) the first time.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${BENCH_OUT:-target/bench}
RUNS=${BENCH_RUNS:-30}
WRK_SECS=${BENCH_WRK_SECS:-10}
BIN=target/release/tokscope
ARM=https://management.azure.com/
mkdir -p "$OUT"

# No real identity endpoint may leak in from the caller's environment, and no proxy may
# sit between the clients and the loopback emulator.
unset IDENTITY_ENDPOINT IDENTITY_HEADER IDENTITY_SERVER_THUMBPRINT IMDS_ENDPOINT \
  MSI_ENDPOINT MSI_SECRET AZURE_CLIENT_ID
# An unset IMDS host means 169.254.169.254: until an emulator runs, point it at a closed
# loopback port, so that a mistake here fails fast instead of leaving the machine.
export AZURE_POD_IDENTITY_AUTHORITY_HOST=http://127.0.0.1:9
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

# Peers and tools from crates.io, built once into a cache outside the checkout.
CACHE=${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tokscope-bench}
JWT_CLI_VERSION=6.2.0
HYPERFINE_VERSION=1.20.0
STARTUP_RUNS=${BENCH_STARTUP_RUNS:-1000}
SOAK_POLLS=${BENCH_SOAK_POLLS:-100000}

# The path of a crate's binary at a pinned version, installed into the cache the first time.
cached_tool() { # $1: crate, $2: version, $3: binary
  local root="$CACHE/$1-$2"
  if [ ! -x "$root/bin/$3" ]; then
    echo "bench: installing $1 $2 into $root (once)" >&2
    cargo install --locked --quiet "$1@$2" --root "$root" --target-dir "$CACHE/build" >&2
  fi
  echo "$root/bin/$3"
}

# hyperfine that can give each run a file on stdin (--input, hyperfine 1.17 and later): the
# system's when it can, else a pinned one from the cache.
hyperfine_with_input() {
  if command -v hyperfine >/dev/null && hyperfine --help | grep -q -- '--input'; then
    command -v hyperfine
  else
    cached_tool hyperfine "$HYPERFINE_VERSION" hyperfine
  fi
}

need() {
  command -v "$1" >/dev/null || { echo "bench: $1 is missing ($2)" >&2; exit 2; }
}

heading() { printf '\n== %s\n' "$*"; }

# --- the emulator ---------------------------------------------------------------------

EMU_PID=""
BASE=""
stop_emulator() {
  if [ -n "$EMU_PID" ]; then
    kill "$EMU_PID" 2>/dev/null || true
    wait "$EMU_PID" 2>/dev/null || true
    EMU_PID=""
  fi
}
trap stop_emulator EXIT

# Start `tokscope emulate` on a free loopback port and read its base URL from the
# `export AZURE_POD_IDENTITY_AUTHORITY_HOST=…` line it prints.
start_emulator() {
  local bin=${1:-$BIN} log="$OUT/emulator.log"
  shift || true
  stop_emulator
  "$bin" emulate --bind 127.0.0.1 --port 0 "$@" >"$log" 2>&1 &
  EMU_PID=$!
  for _ in $(seq 100); do
    BASE=$(sed -n 's/^export AZURE_POD_IDENTITY_AUTHORITY_HOST=//p' "$log" | head -n1)
    [ -n "$BASE" ] && break
    sleep 0.05
  done
  case "$BASE" in
    http://127.* | https://127.*) ;;
    *) echo "bench: emulator did not start on loopback (got '$BASE'); see $log" >&2; exit 1 ;;
  esac
  export AZURE_POD_IDENTITY_AUTHORITY_HOST=$BASE
}

# --- python with azure-identity, as scripts/test.sh makes it ----------------------------

venv_python() {
  . scripts/interop-env.sh
  local venv
  venv=$(interop_venv tests/interop/requirements.txt) || return 1
  echo "$venv/bin/python"
}

# --- sections ---------------------------------------------------------------------------

section_machine() {
  heading "machine"
  echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc:   $(nproc)"
  echo "cpu:     $(lscpu | sed -n 's/^Model name: *//p' | head -n1)"
  echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min; other work may share the cores)"
  echo "rustc:   $(rustc --version)"
  command -v hyperfine >/dev/null && echo "tools:   $(hyperfine --version), $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2)"
}

section_build() {
  heading "build (release: lto fat, codegen-units 1, strip)"
  cargo build --release --locked --quiet
}

section_size() {
  heading "binary size"
  local bytes
  bytes=$(stat -c %s "$BIN")
  local syms
  syms=$(readelf -S "$BIN" 2>/dev/null | grep -c '\.symtab' || true)
  printf '%s: %d bytes (%s MiB), %s\n' "$BIN" "$bytes" "$(awk "BEGIN { printf \"%.2f\", $bytes / 1048576 }")" \
    "$([ "$syms" = 0 ] && echo 'stripped (no .symtab)' || echo 'NOT stripped')"
  printf 'target < 7 MiB: %s\n' "$([ "$bytes" -lt 7340032 ] && echo met || echo missed)"
}

# hyperfine over tokscope, the seed's curl+python pipeline and azure-identity, for the
# Cloud Shell flavour (MSI_ENDPOINT) and IMDS (AZURE_POD_IDENTITY_AUTHORITY_HOST).
section_get() {
  local bin=${1:-$BIN} tag=${2:-get}
  need hyperfine "apt-get install -y hyperfine"
  heading "get: end to end against the loopback emulator ($RUNS runs, 3 warm-up)"
  local py
  py=$(venv_python)
  start_emulator "$bin"
  local msi="$BASE/oauth2/token"
  local imds="$BASE/metadata/identity/oauth2/token?api-version=2018-02-01&resource=$ARM"
  local extract="python3 -c 'import sys, json; print(json.load(sys.stdin)[\"access_token\"])' > /dev/null"
  hyperfine --style basic --warmup 3 --runs "$RUNS" --export-json "$OUT/$tag.json" \
    -n "cloudshell: tokscope get --json" "MSI_ENDPOINT=$msi $bin get --json > /dev/null" \
    -n "cloudshell: curl | python3" "curl -s $msi --data 'resource=$ARM' -H Metadata:true | $extract" \
    -n "cloudshell: azure-identity" "MSI_ENDPOINT=$msi $py tests/interop/azure_identity_get_token.py > /dev/null" \
    -n "imds: tokscope get --json" "AZURE_POD_IDENTITY_AUTHORITY_HOST=$BASE $bin get --json > /dev/null" \
    -n "imds: curl | python3" "curl -s '$imds' -H Metadata:true | $extract" \
    -n "imds: azure-identity" "AZURE_POD_IDENTITY_AUTHORITY_HOST=$BASE $py tests/interop/azure_identity_get_token.py > /dev/null" \
    >"$OUT/$tag.log"
  stop_emulator
  python3 - "$OUT/$tag.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
by_name = {r["command"]: r for r in results}
print(f"{'command':34} {'median ms':>10} {'mean ms':>9} {'± ms':>7} {'vs curl|python3':>16}")
for r in results:
    flavour = r["command"].split(":")[0]
    base = by_name[f"{flavour}: curl | python3"]["median"]
    print(f"{r['command']:34} {r['median']*1e3:10.2f} {r['mean']*1e3:9.2f} {r['stddev']*1e3:7.2f} {r['median']/base:15.2f}x")
for flavour in ("cloudshell", "imds"):
    ratio = by_name[f"{flavour}: tokscope get --json"]["median"] / by_name[f"{flavour}: curl | python3"]["median"]
    print(f"target get <= 0.5x curl|python3 ({flavour}): {ratio:.2f}x, {'met' if ratio <= 0.5 else 'missed'}")
PY
}

# wrk against the IMDS token path: 2 threads, 50 connections, a bounded run, over plain HTTP
# and then over HTTPS (`emulate --tls`; wrk keeps its connections, so the handshakes are few and
# the figure is the cost of TLS records). The HTTPS rate is also given as a ratio to the HTTP one.
section_throughput() {
  need wrk "apt-get install -y wrk"
  [ -x "$BIN" ] || section_build
  local rps_http="" rps_https="" rps_floor="" mode
  # "floor" is the peer: the same server's cheapest answer (instance metadata, no token), so
  # the token path's own cost shows apart from the HTTP stack's and the machine's.
  for mode in http https floor; do
    heading "emulator throughput ($mode): wrk -t2 -c50 -d${WRK_SECS}s"
    if [ "$mode" = https ]; then start_emulator "$BIN" --tls --ca-out "$OUT/emulator-ca.pem"; else start_emulator; fi
    local url="$BASE/metadata/identity/oauth2/token?api-version=2018-02-01&resource=$ARM"
    [ "$mode" = floor ] && url="$BASE/metadata/instance?api-version=2021-02-01"
    # A bad answer would be fast and meaningless: check one first.
    local trust=()
    [ "$mode" = https ] && trust=(--cacert "$OUT/emulator-ca.pem")
    curl -sf "${trust[@]}" -H Metadata:true "$url" |
      python3 -c 'import sys, json; d = json.load(sys.stdin); assert d.get("access_token") or d.get("compute")'
    wrk -t2 -c50 -d"${WRK_SECS}s" --latency -H 'Metadata: true' "$url" | tee "$OUT/wrk-$mode.log"
    stop_emulator
    if grep -q 'Non-2xx' "$OUT/wrk-$mode.log"; then
      echo "bench: some answers were not 2xx, so the rate means nothing" >&2
      exit 1
    fi
    local rps
    rps=$(sed -n 's/^Requests\/sec: *//p' "$OUT/wrk-$mode.log")
    case "$mode" in http) rps_http=$rps ;; https) rps_https=$rps ;; floor) rps_floor=$rps ;; esac
  done
  printf 'target >= 50000 requests/s over HTTP: %s (%s)\n' "$rps_http" \
    "$(python3 -c "print('met' if $rps_http >= 50000 else 'missed')")"
  printf 'HTTPS: %s requests/s, %s of the HTTP rate in the same run\n' "$rps_https" \
    "$(python3 -c "print(f'{$rps_https / $rps_http:.2f}x')")"
  printf 'token path over HTTP: %s of the instance-metadata floor (%s requests/s) in the same run\n' \
    "$(python3 -c "print(f'{$rps_http / $rps_floor:.2f}x')")" "$rps_floor"
}

# criterion: decode of a typical 1.5 KB token and normalising an IMDS answer.
section_decode() {
  local target_dir=${1:-target} tag=${2:-decode}
  heading "decode (criterion, benches/decode.rs)"
  cargo bench --locked --quiet --target-dir "$target_dir" --bench decode 2>&1 | tee "$OUT/$tag.log" |
    grep -E '^[A-Za-z_.0-9]+ +time:|^ +time:|^[A-Za-z_.0-9]+$' || true
  python3 - "$OUT/$tag.log" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"decode_1\.5KB_token\s+time:\s+\[\S+ \S+ (\S+) (\S+)", text)
if not m:
    sys.exit("bench: no decode figure in the criterion output")
value, unit = float(m.group(1)), m.group(2)
micros = value * {"ns": 1e-3, "µs": 1.0, "us": 1.0, "ms": 1e3}[unit]
print(f"target decode <= 5 µs: {micros:.2f} µs, {'met' if micros <= 5 else 'missed'}")
PY
}

# opt-level "s" against the profile's 3: size, get and decode for each, in one run.
section_optlevel() {
  heading "opt-level s against 3"
  local dir=target/opt-s
  section_build
  CARGO_PROFILE_RELEASE_OPT_LEVEL=s CARGO_PROFILE_BENCH_OPT_LEVEL=s \
    cargo build --release --locked --quiet --target-dir "$dir"
  printf 'opt-level 3: %d bytes\nopt-level s: %d bytes\n' "$(stat -c %s "$BIN")" "$(stat -c %s "$dir/release/tokscope")"
  section_get "$BIN" get-opt3
  section_get "$dir/release/tokscope" get-opts
  section_decode target decode-opt3
  CARGO_PROFILE_RELEASE_OPT_LEVEL=s CARGO_PROFILE_BENCH_OPT_LEVEL=s section_decode "$dir" decode-opts
}

# The terminal UI in a detached tmux at 80x24: time to the first frame and to the first token
# on screen (polled every 5 ms, so a few ms of that is the polling), CPU over 60 s idle, and
# peak RSS. Against a separate emulator, as on a VM; --demo draws first, then makes its RSA key.
tui_first_frame() { # $1: label, $2: the command to run in the pane
  local label=$1 frame token t0 t1 t2 screen
  shift
  local frames=() tokens=()
  for _ in $(seq 10); do
    tmux -L tokscope-bench kill-server 2>/dev/null || true
    t0=$(date +%s%N)
    tmux -L tokscope-bench new-session -d -s b -x 80 -y 24 "$1"
    t1="" t2=""
    for _ in $(seq 2000); do
      screen=$(tmux -L tokscope-bench capture-pane -p -t b 2>/dev/null || true)
      [ -z "$t1" ] && [[ $screen == *"tokscope │"* ]] && t1=$(date +%s%N)
      [[ $screen == *"sha256:"* ]] && { t2=$(date +%s%N); break; }
      sleep 0.005
    done
    tmux -L tokscope-bench kill-server 2>/dev/null || true
    [ -n "$t1" ] && [ -n "$t2" ] || { echo "bench: the TUI showed no token within 10 s" >&2; exit 1; }
    frames+=($(((t1 - t0) / 1000000)))
    tokens+=($(((t2 - t0) / 1000000)))
  done
  frame=$(printf '%s\n' "${frames[@]}" | sort -n | sed -n 5p)
  token=$(printf '%s\n' "${tokens[@]}" | sort -n | sed -n 5p)
  echo "$label: first frame median ${frame} ms, first token on screen median ${token} ms (10 runs: ${frames[*]} / ${tokens[*]})"
}

section_tui() {
  heading "tui"
  need tmux "apt-get install -y tmux"
  [ -x "$BIN" ] || section_build
  start_emulator
  # What tmux itself takes to start a pane and show a line: subtract it from the figures below.
  tui_first_frame "baseline (printf in a tmux pane)" "printf 'tokscope │ sha256:'; sleep 10"
  tui_first_frame "--endpoint (emulator already running)" "$BIN --endpoint $BASE --flavour imds"
  tui_first_frame "--demo (draws, then makes its key)" "$BIN --demo"

  tmux -L tokscope-bench new-session -d -s b -x 80 -y 24 "exec $BIN --endpoint $BASE --flavour imds"
  sleep 2
  local pid hz before after secs=60
  pid=$(tmux -L tokscope-bench list-panes -t b -F '#{pane_pid}')
  hz=$(getconf CLK_TCK)
  before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  sleep "$secs"
  after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  awk -v t=$((after - before)) -v hz="$hz" -v s="$secs" \
    'BEGIN { printf "idle CPU over %d s: %d ticks = %.2f %% of one core\n", s, t, 100 * t / hz / s }'
  grep -E 'VmHWM|VmRSS' "/proc/$pid/status" | tr -s ' \t' ' ' | sed 's/^/peak and current memory: /'
  tmux -L tokscope-bench kill-server 2>/dev/null || true
  stop_emulator
}

# The portable binary (scripts/dist.sh: zig's linker, glibc 2.17 symbols) against the native
# release build: size, and start-up in one hyperfine run (-N: no shell in between).
section_dist() {
  need hyperfine "apt-get install -y hyperfine"
  heading "dist: portable (glibc 2.17) against native release"
  [ -x "$BIN" ] || section_build
  ./scripts/dist.sh
  local version dist
  version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
  dist=dist/tokscope-$version-x86_64-linux-gnu
  printf 'native %s: %d bytes\ndist   %s: %d bytes\n' "$BIN" "$(stat -c %s "$BIN")" "$dist" "$(stat -c %s "$dist")"
  # The decode runs read the emulator's token from a file (never from argv), through a shell,
  # so they run without -N; both binaries pay the same shell.
  start_emulator
  local tokfile=$OUT/dist-token.txt
  (umask 077 && AZURE_POD_IDENTITY_AUTHORITY_HOST=$BASE "$BIN" get --json --show-token |
    python3 -c 'import sys, json; print(json.load(sys.stdin)["token"]["access_token"])' >"$tokfile")
  stop_emulator
  hyperfine -N --style basic --warmup 5 --runs "$((RUNS * 3))" --export-json "$OUT/dist-start.json" \
    -n "native --version" "$BIN --version" \
    -n "dist --version" "$dist --version" \
    >"$OUT/dist-start.log"
  hyperfine --style basic --warmup 5 --runs "$((RUNS * 3))" --export-json "$OUT/dist-decode.json" \
    -n "native decode" "$BIN decode < $tokfile > /dev/null" \
    -n "dist decode" "$dist decode < $tokfile > /dev/null" \
    >"$OUT/dist-decode.log"
  rm -f "$tokfile"
  python3 - "$OUT/dist-start.json" "$OUT/dist-decode.json" <<'PY'
import json, sys
results = {}
for path in sys.argv[1:]:
    results.update({r["command"]: r for r in json.load(open(path))["results"]})
print(f"{'command':18} {'median ms':>10} {'mean ms':>9} {'± ms':>7} {'vs native':>10}")
for name, r in results.items():
    base = results["native " + name.split(" ", 1)[1]]["median"]
    print(f"{name:18} {r['median']*1e3:10.2f} {r['mean']*1e3:9.2f} {r['stddev']*1e3:7.2f} {r['median']/base:9.2f}x")
PY
}

# Start-up, whole processes side by side, one hyperfine run per pair (-N: no shell in between),
# with /bin/true as the floor of starting any process:
# - `tokscope decode --json` against jwt-cli's `jwt decode --json` on the same emulator token,
#   given on stdin from a file (hyperfine --input), never on a command line;
# - `tokscope get --json` against bare curl of the same IMDS request, and against curl piped
#   into python's json module (through sh, which that pipeline needs).
section_startup() {
  [ -x "$BIN" ] || section_build
  local hf jwt runs=$STARTUP_RUNS
  hf=$(hyperfine_with_input)
  jwt=$(cached_tool jwt-cli "$JWT_CLI_VERSION" jwt)
  start_emulator
  local imds="$BASE/metadata/identity/oauth2/token?api-version=2018-02-01&resource=$ARM"
  local tokfile=$OUT/startup-token.txt extract=$OUT/extract-token.py
  (umask 077 && "$BIN" get --json --show-token |
    python3 -c 'import sys, json; print(json.load(sys.stdin)["token"]["access_token"])' >"$tokfile")
  printf 'import json, sys\nassert json.load(sys.stdin)["access_token"]\n' >"$extract"
  # Both decoders must read the same claims, or the race means nothing.
  "$BIN" decode --json <"$tokfile" >"$OUT/startup-tokscope.json"
  "$jwt" decode --json - <"$tokfile" >"$OUT/startup-jwt.json"
  python3 - "$OUT/startup-tokscope.json" "$OUT/startup-jwt.json" <<'PY'
import json, sys
ours, theirs = (json.load(open(p)) for p in sys.argv[1:])
if ours["jwt"]["claims"] != theirs["payload"] or ours["jwt"]["header"] != theirs["header"]:
    sys.exit("bench: tokscope and jwt-cli decoded different claims")
PY
  rm -f "$OUT/startup-tokscope.json" "$OUT/startup-jwt.json"

  heading "start-up: tokscope decode --json vs jwt-cli $JWT_CLI_VERSION ($runs runs, 50 warm-up, no shell)"
  "$hf" -N --style basic --warmup 50 --runs "$runs" --input "$tokfile" \
    --export-json "$OUT/startup-decode.json" \
    -n "tokscope decode --json" "$BIN decode --json" \
    -n "jwt decode --json" "$jwt decode --json -" \
    -n "/bin/true" "/bin/true" \
    >"$OUT/startup-decode.log"
  rm -f "$tokfile"
  startup_table "$OUT/startup-decode.json" "jwt decode --json" "tokscope decode --json" 1.0

  heading "start-up: tokscope get --json vs bare curl ($runs runs, 50 warm-up, no shell)"
  "$hf" -N --style basic --warmup 50 --runs "$runs" \
    --export-json "$OUT/startup.json" \
    -n "tokscope get --json" "$BIN get --json" \
    -n "curl" "curl -s -H Metadata:true $imds" \
    -n "curl | python3 json" "sh -c 'curl -s -H Metadata:true \"$imds\" | python3 $extract'" \
    -n "/bin/true" "/bin/true" \
    >"$OUT/startup.log"
  stop_emulator
  startup_table "$OUT/startup.json" "curl" "tokscope get --json" 0.5
}

# The medians of one hyperfine export as a table of ratios to the peer, and the verdict.
startup_table() { # $1: hyperfine JSON, $2: the peer, $3: tokscope's command, $4: target ratio
  python3 - "$@" <<'PY'
import json, sys
path, peer, ours, target = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
results = {r["command"]: r for r in json.load(open(path))["results"]}
base = results[peer]["median"]
print(f"{'command':24} {'median ms':>10} {'mean ms':>9} {'± ms':>7} {'vs ' + peer:>22}")
for name, r in results.items():
    print(f"{name:24} {r['median']*1e3:10.3f} {r['mean']*1e3:9.3f} {r['stddev']*1e3:7.3f} {r['median']/base:21.2f}x")
ratio = results[ours]["median"] / base
print(f"target {ours} <= {target}x {peer}: {ratio:.2f}x, {'met' if ratio <= target else 'missed'}")
PY
}

# `watch` polling the loopback emulator back to back (--interval 0ms) SOAK_POLLS times, its
# resident memory read from /proc at a tenth of the polls and at the end: the growth between the
# two must stay under 1 MiB (the timeline keeps 500 events and 10,000 latencies, whatever the run's
# length). The emulator's memory is shown too.
section_soak() {
  [ -x "$BIN" ] || section_build
  heading "watch soak: $SOAK_POLLS polls back to back against the loopback emulator"
  start_emulator
  python3 - "$BIN" "$BASE" "$SOAK_POLLS" "$EMU_PID" <<'PY'
import signal, subprocess, sys, time
binary, base, polls, emulator = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]

def memory(pid):
    fields = {}
    for line in open(f"/proc/{pid}/status"):
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields

# No --count: the process must still be alive when the last sample is read; SIGTERM ends it,
# and it answers with its summary line.
watch = subprocess.Popen(
    [binary, "--endpoint", base, "--flavour", "imds", "watch", "--interval", "0ms", "--json"],
    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
marks, samples, errors, seen = (polls // 10, polls), {}, 0, 0
started = time.monotonic()
for line in watch.stdout:
    seen += 1
    errors += '"event":"error"' in line
    if seen in marks:
        samples[seen] = (memory(watch.pid), memory(emulator), time.monotonic() - started)
        if seen == polls:
            break
watch.send_signal(signal.SIGTERM)
summary = watch.stdout.read().strip().splitlines()
watch.wait()
if len(samples) != 2:
    sys.exit(f"bench: watch stopped after {seen} polls")
if errors:
    sys.exit(f"bench: {errors} polls failed, so the figure means nothing")
print(f"{'polls':>8} {'watch VmRSS KiB':>16} {'VmHWM KiB':>10} {'emulator VmRSS KiB':>19} {'seconds':>8}")
for n, (ours, emu, secs) in samples.items():
    print(f"{n:>8} {ours['VmRSS']:>16} {ours['VmHWM']:>10} {emu['VmRSS']:>19} {secs:>8.1f}")
first, last = (samples[m][0]["VmRSS"] for m in marks)
growth = last - first
print(f"last line after SIGTERM: {summary[-1] if summary else '(none)'}")
print(f"{polls / samples[polls][2]:.0f} polls/s; watch RSS growth from poll {marks[0]} to {polls}: {growth} KiB")
print(f"target RSS growth < 1 MiB over {polls} polls: {'met' if growth < 1024 else 'missed'}")
PY
  stop_emulator
}

# --- main -------------------------------------------------------------------------------

sections=("$@")
[ ${#sections[@]} -eq 0 ] && sections=(machine build size get startup soak throughput decode tui)
for s in "${sections[@]}"; do
  case "$s" in
    machine | build | size | get | startup | soak | throughput | decode | optlevel | tui | dist) "section_$s" ;;
    *) echo "bench: unknown section $s (machine build size get startup soak throughput decode optlevel tui dist)" >&2; exit 2 ;;
  esac
done
