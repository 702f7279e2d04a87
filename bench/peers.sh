#!/usr/bin/env bash
# Side-by-side benchmark (issue 7): hvremote vs pywinrm vs winrm-rs listing the VMs of
# `hvremote simulate --vms N` over NTLM with message encryption, on loopback.
#
# For each client: HTTP requests (from the simulated host's own request log), wall time,
# client CPU time (user+sys) and peak RSS, as the median of RUNS runs with min and max
# (bench/measure.py: wait4 rusage, microsecond CPU times; RSS from GNU time). Checks that all three return the same VMs (GUID, name, state). Then counts
# the HTTP requests of an export (up to the invoke, and in all with the job followed).
#
# Usage: bench/peers.sh [N_VMS=5000] [RUNS=5]
# Env: PORT (15985), PYWINRM_PYTHON (a python with pywinrm; else bench/.venv is created from
# PyPI), CARGO_TARGET_DIR (hvremote's), PEER_TARGET_DIR (winrm-rs-list's).
set -euo pipefail

N=${1:-5000}
RUNS=${2:-5}
PORT=${PORT:-15985}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
PEER_TARGET=${PEER_TARGET_DIR:-$ROOT/bench/winrm-rs-list/target}
WORK=$(mktemp -d)
USER_NAME=admin
export HVREMOTE_PASSWORD=bench-password
SIM_PID=
[ -x /usr/bin/time ] || { echo "peers.sh needs GNU time (/usr/bin/time) for peak RSS" >&2; exit 2; }

cleanup() {
    if [ -n "$SIM_PID" ]; then kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT


echo "== building (release)" >&2
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" --bin hvremote
CARGO_TARGET_DIR=$PEER_TARGET cargo build --release --quiet \
    --manifest-path "$ROOT/bench/winrm-rs-list/Cargo.toml"
HV=$TARGET/release/hvremote
WRS=$PEER_TARGET/release/winrm-rs-list

if [ -n "${PYWINRM_PYTHON:-}" ]; then
    PY=$PYWINRM_PYTHON
else
    if [ ! -x "$ROOT/bench/.venv/bin/python" ]; then
        python3 -m venv "$ROOT/bench/.venv"
        "$ROOT/bench/.venv/bin/pip" install --quiet -r "$ROOT/tests/py/requirements.txt"
    fi
    PY=$ROOT/bench/.venv/bin/python
fi

start_sim() { # start_sim ARGS... ; the host logs one line per HTTP request (-v)
    "$HV" -v simulate --listen "127.0.0.1:$PORT" -u "$USER_NAME" "$@" >"$WORK/sim.out" 2>"$WORK/sim.log" &
    SIM_PID=$!
    for _ in $(seq 100); do
        grep -q listening "$WORK/sim.out" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "simulated host did not start" >&2; cat "$WORK/sim.log" >&2; exit 1
}
stop_sim() { kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; SIM_PID=; }
requests() { grep -c "sim: http request" "$WORK/sim.log" || true; }
# CPU seconds the simulated host has used so far: the scheduler's run time (nanoseconds) summed
# over its threads (the runtime's workers live as long as the host, so none is lost).
sim_cpu() { cat /proc/"$SIM_PID"/task/*/schedstat | awk '{ t += $1 } END { printf "%.6f", t / 1e9 }'; }

# measure NAME OUTFILE CMD... : one run; appends
# "NAME requests wall user sys maxrss_kb sim_cpu_s" (the host's CPU time for this listing).
measure() {
    local name=$1 out=$2; shift 2
    local before after try sim0 sim1
    for try in 1 2; do
        before=$(requests)
        sim0=$(sim_cpu)
        if python3 "$ROOT/bench/measure.py" "$WORK/time" "$@" >"$out" 2>"$WORK/$name.err"; then
            break
        fi
        # Known flake (reported): hvremote's first connection is sometimes closed by the
        # simulated host before the request is sent; one retry, counted from scratch.
        echo "$name failed (attempt $try):" >&2; cat "$WORK/$name.err" "$out" >&2
        [ "$try" = 2 ] && exit 1
        echo "retry" >>"$WORK/retries"
    done
    sleep 0.2
    after=$(requests)
    sim1=$(sim_cpu)
    echo "$name $((after - before)) $(tail -1 "$WORK/time") $(python3 -c "print(round($sim1 - $sim0, 4))")" >>"$WORK/results"
}

start_sim --vms "$N"
# winrm-rs 1.1.2 sends the first request of its NTLM context unsealed, which WinRM with
# AllowUnencrypted=false (and the simulated host) refuse: fall back to Basic without
# encryption for it (less client work than NTLM + sealing; the comparison flatters it).
WRS_NOTE="ntlm + encryption"
if ! "$WRS" 127.0.0.1 "$PORT" "$USER_NAME" "$HVREMOTE_PASSWORD" >/dev/null 2>"$WORK/wrs-ntlm.err"; then
    export WINRM_RS_AUTH=basic
    WRS_NOTE="basic, unencrypted (ntlm failed: $(head -1 "$WORK/wrs-ntlm.err"))"
    # The host accepts Basic over plain HTTP only when told to (WinRM's AllowUnencrypted);
    # hvremote and pywinrm still negotiate NTLM with sealing on it.
    stop_sim
    start_sim --vms "$N" --allow-unencrypted
fi
echo "winrm-rs auth: $WRS_NOTE"
echo "== listing $N VMs, $RUNS runs each" >&2
for i in $(seq "$RUNS"); do
    measure hvremote "$WORK/hv.json" "$HV" -H 127.0.0.1 --port "$PORT" -u "$USER_NAME" -o json vms
    measure pywinrm "$WORK/py.tsv" "$PY" "$ROOT/bench/pywinrm_list.py" \
        "http://127.0.0.1:$PORT/wsman" "$USER_NAME" "$HVREMOTE_PASSWORD"
    measure winrm-rs "$WORK/wrs.tsv" "$WRS" 127.0.0.1 "$PORT" "$USER_NAME" "$HVREMOTE_PASSWORD"
done
stop_sim

# Same VMs: GUID-named instances only (Msvm_ComputerSystem also lists the host itself).
python3 - "$WORK" <<'PY'
import json, re, sys
work = sys.argv[1]
guid = re.compile(r"^[0-9A-Fa-f]{8}-([0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}$")
hv = sorted((v["id"].upper(), v["name"], str(v["enabled_state"])) for v in json.load(open(f"{work}/hv.json")))
def tsv(path):
    rows = [l.rstrip("\n").split("\t") for l in open(path, encoding="utf-8") if l.strip()]
    return sorted((r[0].upper(), r[1], r[2]) for r in rows if guid.match(r[0]))
py, wrs = tsv(f"{work}/py.tsv"), tsv(f"{work}/wrs.tsv")
ok = hv == py == wrs
print(f"same VMs from all three: {'yes' if ok else 'NO'} ({len(hv)} / {len(py)} / {len(wrs)})")
sys.exit(0 if ok else 1)
PY

python3 - "$WORK/results" "$N" "$RUNS" <<'PY'
import statistics, sys
path, n, runs = sys.argv[1], sys.argv[2], sys.argv[3]
data = {}
for line in open(path):
    name, req, wall, user, sys_, rss, sim = line.split()
    data.setdefault(name, []).append((int(req), float(wall), float(user) + float(sys_), int(rss) / 1024, float(sim)))
def fmt(xs, f):
    return f"{f(statistics.median(xs))} [{f(min(xs))}..{f(max(xs))}]"
print(f"\nlisting {n} VMs (median [min..max] of {runs} runs)")
print(f"{'client':10} {'requests':>9} {'wall s':>22} {'cpu s':>22} {'peak rss MB':>24} {'sim cpu s':>22}")
for name, rows in data.items():
    req, wall, cpu, rss, sim = zip(*rows)
    print(f"{name:10} {fmt(req, str):>9} {fmt(wall, lambda v: f'{v:.3f}'):>22} "
          f"{fmt(cpu, lambda v: f'{v:.4f}'):>22} {fmt(rss, lambda v: f'{v:.1f}'):>24} "
          f"{fmt(sim, lambda v: f'{v:.4f}'):>22}")
print("sim cpu s: the simulated host's own CPU time (user+sys) while serving that client's listing")
med = {k: statistics.median(r[2] for r in v) for k, v in data.items()}
if med.get("hvremote"):
    for peer in ("pywinrm", "winrm-rs"):
        if peer in med:
            print(f"cpu ratio {peer} / hvremote: {med[peer] / med['hvremote']:.1f}x")
PY

echo "== export request count" >&2
PORT=$((PORT + 1))
start_sim --vm web01 --job-seconds 3
before=$(requests)
"$HV" -H 127.0.0.1 --port "$PORT" -u "$USER_NAME" -q export web01 --dest 'D:\Exports' --no-wait >/dev/null \
    || { before=$(requests); "$HV" -H 127.0.0.1 --port "$PORT" -u "$USER_NAME" -q export web01 --dest 'D:\Exports' --no-wait >/dev/null; }
sleep 0.2
to_invoke=$(( $(requests) - before ))
before=$(requests)
start=$(date +%s.%N)
"$HV" -H 127.0.0.1 --port "$PORT" -u "$USER_NAME" -q export web01 --dest 'D:\Exports' >/dev/null
end=$(date +%s.%N)
sleep 0.2
total=$(( $(requests) - before ))
stop_sim
echo "export: $to_invoke HTTP requests with --no-wait (NTLM legs, find the VM, VMMS keys, invoke, one Get of the job = the first poll); $total in all with a 3 s job followed to the end ($(python3 -c "print(f'{$end - $start:.2f}')") s wall)"
