#!/usr/bin/env bash
# Benchmarks of `perf` at scale (docs/performance.md): builds the release binary, generates three
# synthetic workspaces (10k, 100k and 1M entries; 100 divisions, 10,000 items) in a temporary
# folder, times `perf check`, `status --format json`, `summary` and `report add` against a bare
# `csv::ByteRecord` pass over the same files (the floor) and against `frictionless validate`, and
# prints Markdown tables with the pass/fail line of every target. Not run in CI.
#
#   scripts/bench.sh                  # everything, best of 3
#   RUNS=5 scripts/bench.sh           # best of 5
#   SIZES="10000 100000" scripts/bench.sh    # smaller sizes only (the 1M targets are skipped)
#   FRICTIONLESS=0 scripts/bench.sh   # without the peer comparison
#   KEEP=1 scripts/bench.sh           # keep the generated workspaces (the path is printed)
#   PERF_BIN=/tmp/old/perf scripts/bench.sh  # measure another build of perf
#
# Needs GNU time (installed from Debian when missing) and, for the peer, python3 with venv and
# pip (frictionless is installed into a venv under /tmp). Exit code 1 when a target fails.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
RUNS=${RUNS:-3}
SIZES=${SIZES:-"10000 100000 1000000"}
FRICTIONLESS=${FRICTIONLESS:-1}
VENV=${VENV:-/tmp/perf-bench-frictionless}
TODAY=2015-01-20 # after every generated `filed` date; `report add` files its entry on this day

if ! /usr/bin/time -f %e true >/dev/null 2>&1; then
    echo "bench: installing GNU time" >&2
    apt-get install -y time >/dev/null
fi

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
WORK=$(mktemp -d /tmp/perf-bench.XXXXXX)
if [[ ${KEEP:-0} == 1 ]]; then
    echo "bench: workspaces kept in $WORK" >&2
else
    trap 'rm -rf "$WORK"' EXIT
fi

echo "bench: building" >&2
cargo build --release --locked --quiet --bin perf --example generate --example floor
TARGET=${CARGO_TARGET_DIR:-$REPO/target}/release
PERF=${PERF_BIN:-$TARGET/perf} # PERF_BIN=… measures another build (a baseline, say)
RESULTS=$WORK/results.tsv
: >"$RESULTS"

# measure SIZE NAME [--prepare CMD] -- COMMAND...: runs COMMAND $RUNS times under GNU time and
# records the run with the least wall time, its CPU time (user+sys, from GNU time) and the greatest
# peak RSS of all runs. GNU time prints wall time in hundredths of a second only, so wall time is
# read from bash's microsecond clock around it (which counts GNU time's own start, about 1 ms, too).
measure() {
    local size=$1 name=$2 prepare=""
    shift 2
    if [[ $1 == --prepare ]]; then
        prepare=$2
        shift 2
    fi
    [[ $1 == -- ]] && shift
    local best="" rss=0 i start end wall user sys kb cpu
    for ((i = 0; i < RUNS; i++)); do
        [[ -n $prepare ]] && eval "$prepare"
        start=$EPOCHREALTIME
        if ! /usr/bin/time -f "%U %S %M" -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err"; then
            echo "bench: $name failed at $size:" >&2
            cat "$WORK/out" "$WORK/err" >&2
            exit 2
        fi
        end=$EPOCHREALTIME
        read -r user sys kb <"$WORK/time"
        wall=$(awk "BEGIN { printf \"%.4f\", $end - $start }")
        cpu=$(awk "BEGIN { print $user + $sys }")
        ((kb > rss)) && rss=$kb
        if [[ -z $best ]] || awk "BEGIN { exit !($wall < ${best%% *}) }"; then
            best="$wall $cpu"
        fi
    done
    printf '%s\t%s\t%s\t%s\t%s\n' "$size" "$name" "${best%% *}" "${best##* }" "$rss" >>"$RESULTS"
    echo "bench: $size $name: ${best%% *} s wall, ${best##* } s CPU, $((rss / 1024)) MB" >&2
}

if [[ $FRICTIONLESS == 1 && ! -x $VENV/bin/frictionless ]]; then
    echo "bench: installing frictionless into $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet frictionless
fi

# A Table Schema equivalent to what `perf check` asks of a progress file: types, required
# columns, the note's length, and the item among the ids the division leads.
write_package() {
    python3 - "$1" 2014 <<'PY'
import json, pathlib, sys, tomllib
root, year = pathlib.Path(sys.argv[1]), sys.argv[2]
led = {}
for f in sorted((root / "indicators" / year).glob("*.toml")):
    for ind in tomllib.loads(f.read_text(encoding="utf-8")).get("indicator", []):
        for it in ind.get("item", []):
            for div in [it["lead"], *it.get("former_leads", [])]:
                led.setdefault(div, []).append(it["id"])
resources = []
for csv in sorted((root / "reports" / year).glob("*.csv")):
    resources.append({
        "name": csv.stem.lower(), "path": f"reports/{year}/{csv.name}",
        "format": "csv", "encoding": "utf-8",
        "schema": {"missingValues": [""], "fields": [
            {"name": "date", "type": "date", "constraints": {"required": True}},
            {"name": "item", "type": "string",
             "constraints": {"required": True, "enum": led.get(csv.stem, [])}},
            {"name": "value", "type": "number"},
            {"name": "note", "type": "string", "constraints": {"maxLength": 2000}},
            {"name": "evidence", "type": "string"},
            {"name": "reporter", "type": "string", "constraints": {"required": True}},
            {"name": "filed", "type": "date"},
        ]},
    })
out = root / "datapackage.json"
out.write_text(json.dumps({"name": "perf-bench", "resources": resources}, ensure_ascii=False))
PY
}

for size in $SIZES; do
    ws=$WORK/ws-$size
    echo "bench: generating $size entries" >&2
    "$TARGET/examples/generate" --entries "$size" --out "$ws" 2>/dev/null
    # The same workspace with every other division's file reduced to its header.
    lone=$WORK/lone-$size
    cp -r "$ws" "$lone"
    for f in "$lone"/reports/2014/*.csv; do
        if [[ $f != */div-001.csv ]]; then
            head -n 1 "$f" >"$f.tmp"
            mv "$f.tmp" "$f"
        fi
    done
    cp "$ws/reports/2014/div-001.csv" "$WORK/div-001-$size.csv"

    p=("$PERF" --today "$TODAY" --root)
    add=(report add Z0001.1 --nil --note "基准测试（零报告）" --date 2014-06-30 --reporter 史子旭)
    # The commands take turns, one run each per round, so that a ratio compares runs made
    # within seconds of each other: on a shared machine the load drifts from minute to minute.
    for ((round = 1; round <= RUNS; round++)); do
        echo "bench: $size, round $round of $RUNS" >&2
        RUNS=1 measure "$size" floor -- "$TARGET/examples/floor" "$ws"
        RUNS=1 measure "$size" check -- "${p[@]}" "$ws" check
        RUNS=1 measure "$size" status -- "${p[@]}" "$ws" status --format json
        RUNS=1 measure "$size" summary -- "${p[@]}" "$ws" summary
        RUNS=1 measure "$size" report-add \
            --prepare "cp '$WORK/div-001-$size.csv' '$ws/reports/2014/div-001.csv'" \
            -- "${p[@]}" "$ws" "${add[@]}"
        RUNS=1 measure "$size" report-add-lone \
            --prepare "cp '$WORK/div-001-$size.csv' '$lone/reports/2014/div-001.csv'" \
            -- "${p[@]}" "$lone" "${add[@]}"
    done
    cp "$WORK/div-001-$size.csv" "$ws/reports/2014/div-001.csv"
    if [[ $FRICTIONLESS == 1 ]]; then
        write_package "$ws"
        measure "$size" frictionless -- bash -c "cd '$ws' && '$VENV/bin/frictionless' validate datapackage.json"
    fi
    rm -rf "$lone"
done
RUNS=$((RUNS > 10 ? RUNS : 10)) measure bundled check -- "$PERF" --root "$REPO" check

MACHINE="$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), \
$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r), $(rustc -V)"
PEER=""
[[ $FRICTIONLESS == 1 ]] && PEER="frictionless $("$VENV/bin/frictionless" --version)"
python3 - "$RESULTS" "$MACHINE" "$RUNS" "$LOAD_START" "$(cut -d' ' -f1-3 /proc/loadavg)" "$PEER" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
# Per size and command: the run with the least wall time and its CPU time, and the largest peak
# memory of all its runs (each round adds one run).
r = {}
for s, n, w, c, k in rows:
    w, c, m = float(w), float(c), int(k) / 1024
    if (s, n) in r:
        w0, c0, m0 = r[(s, n)]
        w, c = (w, c) if w < w0 else (w0, c0)
        m = max(m, m0)
    r[(s, n)] = (w, c, m)
machine, runs, load0, load1, peer = sys.argv[2:7]
sizes = [s for s in dict.fromkeys(s for s, _ in r) if s != "bundled"]
print(f"\nMachine: {machine}. Load average (1, 5, 15 min) at the start: {load0}; at the end: {load1}.")
print(f"Best of {runs} runs by wall time; CPU is user + sys of that run; peak memory is the largest"
      " peak RSS of the runs.\n")
print("| entries | command | wall s | CPU s | peak MB | wall / floor wall | CPU / floor wall |")
print("| ---: | --- | ---: | ---: | ---: | ---: | ---: |")
for s in sizes:
    fw, fc, _ = r[(s, "floor")]
    for (s2, n), (w, c, m) in r.items():
        if s2 == s:
            print(f"| {int(s):,} | {n} | {w:.3f} | {c:.3f} | {m:.1f} | {w / fw:.2f}× | {c / fw:.2f}× |")
w, c, m = r[("bundled", "check")]
print(f"| bundled | check | {w:.3f} | {c:.3f} | {m:.1f} | | |")

targets = []
def target(name, value, limit, unit="×"):
    ok = value <= limit
    targets.append(ok)
    print(f"| {name} | {value:.2f}{unit} | ≤ {limit}{unit} | {'pass' if ok else 'FAIL'} |")
print("\n| target | measured | limit | result |")
print("| --- | ---: | ---: | --- |")
big, mid = "1000000", "100000"
if (big, "check") in r:
    target("check wall / floor wall at 1M", r[(big, "check")][0] / r[(big, "floor")][0], 1.0)
    for n in ["status", "summary"]:
        target(f"{n} wall / check wall at 1M", r[(big, n)][0] / r[(big, "check")][0], 1.3)
    for n in ["check", "status", "summary"]:
        target(f"{n} peak memory at 1M", r[(big, n)][2], 80, " MB")
    target("report add into 1M / with other files empty",
           r[(big, "report-add")][0] / r[(big, "report-add-lone")][0], 1.2)
    if (mid, "check") in r:
        for n in ["check", "status", "summary"]:
            target(f"{n} wall at 1M / at 100k", r[(big, n)][0] / r[(mid, n)][0], 11)
target("check of the bundled workspace", r[("bundled", "check")][0] * 1000, 10, " ms")
if (big, "frictionless") in r:
    f = r[(big, "frictionless")][0] / r[(big, "check")][0]
    c = r[(big, "frictionless")][1] / r[(big, "check")][1]
    print(f"\n{peer} validate at 1M: {r[(big, 'frictionless')][0]:.2f} s, {f:.0f}× the wall time"
          f" of `perf check` ({c:.0f}× its CPU time).")
sys.exit(0 if all(targets) else 1)
PY
