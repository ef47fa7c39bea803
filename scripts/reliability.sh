#!/usr/bin/env bash
# Reliability of `perf report add` and `perf check` under abuse (docs/testing.md): builds the
# release binary, copies the bundled workspace (perf.toml, indicators/, reports/) to a temporary
# folder and hammers it, phase by phase:
#
#   writers    16 concurrent writers × 100 `report add` each: not one entry lost
#   kills      200 `report add` runs killed with SIGKILL at random moments of a widened write
#              window (PERF_TEST_WRITE_DELAY_MS): each leaves the old file or the old file plus
#              its record, never anything else
#   readonly   a read-only reports folder (a read-only bind mount as root, else chmod): a clear
#              refusal, nothing changed
#   fulldisk   the workspace on a full tmpfs (root only, else skipped): a clear refusal, nothing
#              changed, no temporary file left; the next add after space is freed works
#   symlink    the progress file a symbolic link to a file outside the workspace: refused, the
#              outside file untouched
#   huge       `check` on a copy with a 1,000,000-character note, a 5 MB item id and a 20 MB line
#              without a comma: the right diagnostics, no panic, in bounded time
#   longnote   `report add --note` with the longest argument Linux passes (131,000 characters;
#              a million-character argument is refused by the kernel, E2BIG, before perf runs):
#              note-too-long, file unchanged
#
# After every phase `perf check --today 2026-01-01` must exit 0 and the number of entries must be
# exactly what the phase added. Prints a summary; exits 1 when anything failed.
#
#   scripts/reliability.sh
#   WRITERS=4 PER_WRITER=10 KILLS=20 scripts/reliability.sh    # a quick run
#   KEEP=1 scripts/reliability.sh                              # keep the workspace (path printed)
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
WRITERS=${WRITERS:-16}
PER_WRITER=${PER_WRITER:-100}
KILLS=${KILLS:-200}
TODAY=2014-12-10
DATE=2014-12-01
ITEM=E1.1
REPORTER=林晓燕
FILE=reports/2014/secretariat.csv

echo "reliability: building the release binary" >&2
cargo build --release --quiet --bin perf || exit 1
PERF=${CARGO_TARGET_DIR:-$REPO/target}/release/perf

WORK=$(mktemp -d /tmp/perf-reliability.XXXXXX)
chmod 755 "$WORK"
MOUNTS=()
cleanup() {
    for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null; done
    chmod -R u+w "$WORK" 2>/dev/null
    if [[ ${KEEP:-0} == 1 ]]; then
        echo "reliability: kept $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

WS=$WORK/ws
mkdir -p "$WS"
cp -r perf.toml indicators reports "$WS"/

RESULTS=()
FAILED=0
pass() { RESULTS+=("PASS  $1: $2"); echo "reliability: PASS $1: $2" >&2; }
fail() { RESULTS+=("FAIL  $1: $2"); echo "reliability: FAIL $1: $2" >&2; FAILED=1; }

# Entries of the workspace, counted by perf itself (records, not lines: notes may hold newlines).
count() {
    "$PERF" --root "${1:-$WS}" --today 2026-01-01 report list --format json |
        python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'
}

# A digest of every file under reports/ and indicators/ (lock and temporary files excluded).
digest() {
    (cd "${1:-$WS}" && find reports indicators perf.toml -type f ! -name '.perf*' -print0 |
        sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
}

# The check after every phase: exit 0, and exactly the expected number of entries.
verify() {
    local phase=$1 want=$2 out code got
    out=$("$PERF" --root "$WS" --today 2026-01-01 --lang en check 2>&1)
    code=$?
    got=$(count)
    if [[ $code -ne 0 ]]; then
        fail "$phase" "check exited $code: $(echo "$out" | tail -n 3 | tr '\n' ' ')"
    elif [[ $got -ne $want ]]; then
        fail "$phase" "$got entries, expected $want"
    else
        pass "$phase" "check exits 0, $got entries as expected"
    fi
}

add() { # add NOTE [extra perf args...]
    local note=$1
    shift
    "$PERF" --root "$WS" --today $TODAY --lang en report add $ITEM 1 --date $DATE --reporter $REPORTER \
        --note "$note" "$@"
}

BASE=$(count)
echo "reliability: workspace $WS with $BASE entries" >&2
verify baseline "$BASE"

# ---- writers ---------------------------------------------------------------------------------
start=$(date +%s.%N)
pids=()
for w in $(seq 1 "$WRITERS"); do
    (
        bad=0
        for i in $(seq 1 "$PER_WRITER"); do
            add "writer $w entry $i" >/dev/null 2>>"$WORK/writers.err" || bad=$((bad + 1))
        done
        exit $((bad > 0))
    ) &
    pids+=($!)
done
refused=0
for p in "${pids[@]}"; do wait "$p" || refused=$((refused + 1)); done
secs=$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")
N=$((WRITERS * PER_WRITER))
[[ $refused -eq 0 ]] || fail writers "$refused writer(s) had a refused add: $(head -n 3 "$WORK/writers.err")"
lost=$((BASE + N - $(count)))
echo "reliability: $N adds by $WRITERS writers in ${secs}s, $lost lost" >&2
EXPECT=$((BASE + N))
verify "writers ($WRITERS×$PER_WRITER adds in ${secs}s)" "$EXPECT"

# ---- kills -----------------------------------------------------------------------------------
killed_before=0 killed_after=0 broken=0 leftovers=0 in_window=0
for k in $(seq 1 "$KILLS"); do
    cp "$WS/$FILE" "$WORK/before.csv"
    size=$(stat -c %s "$WORK/before.csv")
    # `exec`: the process killed is perf itself, not a shell waiting for it.
    PERF_TEST_WRITE_DELAY_MS=30 exec "$PERF" --root "$WS" --today $TODAY report add $ITEM 1 \
        --date $DATE --reporter $REPORTER --note "killed run $k" >/dev/null 2>&1 &
    pid=$!
    # Anywhere from before the lock to after the rename: a run takes ~35 ms with the delay.
    sleep "0.0$(printf '%02d' $((RANDOM % 60)))"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    # Killed inside the write window: its temporary file is there, not renamed (the next run
    # removes it).
    if [[ -n $(find "$WS/reports" -name '.perf-*.tmp' -print -quit) ]]; then
        in_window=$((in_window + 1))
    fi
    if cmp -s "$WORK/before.csv" "$WS/$FILE"; then
        killed_before=$((killed_before + 1))
    elif cmp -s -n "$size" "$WORK/before.csv" "$WS/$FILE" &&
        [[ "$(tail -c +$((size + 1)) "$WS/$FILE" | tr -d '\r')" == "$DATE,$ITEM,1,killed run $k,,$REPORTER,$TODAY" ]]; then
        killed_after=$((killed_after + 1))
        EXPECT=$((EXPECT + 1))
    else
        broken=$((broken + 1))
        cp "$WS/$FILE" "$WORK/broken-$k.csv"
        cp "$WORK/before.csv" "$WS/$FILE" # keep going from a sound file
    fi
done
# A run killed between creating its temporary file and renaming it leaves the file behind; the
# next run removes it under the lock, so only the last kills' can be left here.
leftovers=$(find "$WS/reports" -name '.perf-*.tmp' | wc -l)
if [[ $broken -gt 0 ]]; then
    fail kills "$broken of $KILLS killed runs left a file that is neither the old one nor old + 1 record"
fi
echo "reliability: $KILLS kills: $killed_before left the old file ($in_window of them killed inside the write window, their temporary file written but not renamed), $killed_after the old file + its record, $broken anything else" >&2
verify "kills ($killed_before old, $in_window of them mid-write; $killed_after old+1; $broken broken)" "$EXPECT"
if add "after the kills" >/dev/null 2>&1; then
    EXPECT=$((EXPECT + 1))
    tmp_now=$(find "$WS/reports" -name '.perf-*.tmp' | wc -l)
    if [[ $tmp_now -eq 0 ]]; then
        pass leftovers "the next add removed the $leftovers temporary file(s) the last kill left"
    else
        fail leftovers "$tmp_now temporary file(s) still in reports/ after the next add"
    fi
else
    fail leftovers "the add after the kills was refused"
fi

# ---- readonly --------------------------------------------------------------------------------
ro_how=""
if [[ $(id -u) -eq 0 ]] && mount --bind "$WS/reports/2014" "$WS/reports/2014" 2>/dev/null; then
    MOUNTS+=("$WS/reports/2014")
    if mount -o remount,ro,bind "$WS/reports/2014" 2>/dev/null; then
        ro_how="read-only bind mount"
    else
        umount "$WS/reports/2014"
    fi
fi
if [[ -z $ro_how && $(id -u) -ne 0 ]]; then
    chmod a-w "$WS/reports/2014" "$WS/reports/2014"/*.csv
    ro_how="chmod a-w"
fi
if [[ -z $ro_how ]]; then
    RESULTS+=("SKIP  readonly: root without mount rights, and chmod does not stop root")
else
    before=$(digest)
    out=$(add "read-only" 2>&1)
    code=$?
    if [[ $code -eq 2 && $(digest) == "$before" ]] && grep -q 'Read-only file system\|Permission denied' <<<"$out"; then
        pass "readonly ($ro_how)" "exit 2, nothing changed: $(head -n 1 <<<"$out")"
    else
        fail "readonly ($ro_how)" "exit $code, digest $([[ $(digest) == "$before" ]] && echo same || echo CHANGED): $out"
    fi
    if [[ $ro_how == "chmod a-w" ]]; then
        chmod u+w "$WS/reports/2014" "$WS/reports/2014"/*.csv
    else
        umount "$WS/reports/2014"
        unset 'MOUNTS[-1]'
    fi
    verify "after readonly" "$EXPECT"
fi

# ---- fulldisk --------------------------------------------------------------------------------
if [[ $(id -u) -eq 0 ]] && mkdir -p "$WORK/disk" && mount -t tmpfs -o size=4m tmpfs "$WORK/disk" 2>/dev/null; then
    MOUNTS+=("$WORK/disk")
    cp -r "$WS"/. "$WORK/disk/"
    rm -f "$WORK/disk/reports/2014/.perf.lock"
    # The lock file exists before the disk fills (perf creates it, empty, on its first run).
    touch "$WORK/disk/reports/2014/.perf.lock"
    dd if=/dev/zero of="$WORK/disk/filler" bs=4k >/dev/null 2>&1
    before=$(digest "$WORK/disk")
    n_before=$(count "$WORK/disk")
    out=$("$PERF" --root "$WORK/disk" --today $TODAY --lang en report add $ITEM 1 --date $DATE \
        --reporter $REPORTER --note "full disk" 2>&1)
    code=$?
    tmp_left=$(find "$WORK/disk/reports" -name '.perf-*.tmp' | wc -l)
    if [[ $code -eq 2 && $(digest "$WORK/disk") == "$before" && $tmp_left -eq 0 ]] &&
        grep -q 'No space left' <<<"$out"; then
        pass fulldisk "exit 2, nothing changed, no temporary file left: $(head -n 1 <<<"$out")"
    else
        fail fulldisk "exit $code, tmp left $tmp_left, digest $([[ $(digest "$WORK/disk") == "$before" ]] && echo same || echo CHANGED): $out"
    fi
    rm -f "$WORK/disk/filler"
    if "$PERF" --root "$WORK/disk" --today $TODAY report add $ITEM 1 --date $DATE \
        --reporter $REPORTER --note "after the disk was freed" >/dev/null 2>&1 &&
        [[ $(count "$WORK/disk") -eq $((n_before + 1)) ]] &&
        "$PERF" --root "$WORK/disk" --today 2026-01-01 check >/dev/null; then
        pass "fulldisk (freed)" "the next add works, check exits 0, $((n_before + 1)) entries"
    else
        fail "fulldisk (freed)" "add or check failed after space was freed"
    fi
    umount "$WORK/disk"
    unset 'MOUNTS[-1]'
else
    RESULTS+=("SKIP  fulldisk: needs root to mount a small tmpfs")
    echo "reliability: SKIP fulldisk (needs root to mount a tmpfs)" >&2
fi
verify "after fulldisk" "$EXPECT"

# ---- symlink ---------------------------------------------------------------------------------
mkdir -p "$WORK/outside"
mv "$WS/$FILE" "$WORK/outside/secretariat.csv"
ln -s "$WORK/outside/secretariat.csv" "$WS/$FILE"
outside=$(sha256sum <"$WORK/outside/secretariat.csv")
out=$(add "through a link" 2>&1)
code=$?
if [[ $code -eq 2 && $(sha256sum <"$WORK/outside/secretariat.csv") == "$outside" ]] &&
    grep -q 'outside the workspace' <<<"$out"; then
    pass symlink "exit 2, outside file untouched: $(head -n 1 <<<"$out" | sed "s|$WORK|\$WORK|g")"
else
    fail symlink "exit $code: $out"
fi
rm "$WS/$FILE"
mv "$WORK/outside/secretariat.csv" "$WS/$FILE"
verify "after symlink" "$EXPECT"

# ---- huge ------------------------------------------------------------------------------------
HUGE=$WORK/huge
cp -r "$WS" "$HUGE"
python3 - "$HUGE/$FILE" <<'EOF'
import sys
with open(sys.argv[1], "a", encoding="utf-8") as f:
    f.write("2014-11-30,E1.1,1," + "长" * 1_000_000 + ",,林晓燕,2014-12-01\n")
    f.write("2014-11-30," + "E" * 5_000_000 + ",1,x,,林晓燕,2014-12-01\n")
    f.write("x" * 20_000_000 + "\n")
EOF
start=$(date +%s.%N)
out=$("$PERF" --root "$HUGE" --today 2026-01-01 check --format json 2>&1)
code=$?
secs=$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")
codes=$(python3 -c 'import json,sys; print(" ".join(sorted({d["code"] for d in json.loads(sys.stdin.read())})))' <<<"$out" 2>/dev/null)
start=$(date +%s.%N)
human=$("$PERF" --root "$HUGE" --today 2026-01-01 check 2>&1 | wc -c)
hsecs=$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")
if [[ $code -eq 1 && $codes == "field-count note-too-long unknown-item" ]] &&
    (($(echo "$secs < 30 && $hsecs < 30" | bc))) && ! grep -q panicked <<<"$out"; then
    pass huge "exit 1 with $codes in ${secs}s (json) / ${hsecs}s (human, $human bytes)"
else
    fail huge "exit $code, codes '$codes', ${secs}s / ${hsecs}s: $(head -c 300 <<<"$out")"
fi
rm -rf "$HUGE"
verify "after huge" "$EXPECT"

# ---- longnote --------------------------------------------------------------------------------
before=$(digest)
long=$(python3 -c 'print("x" * 131000)')
out=$(add "$long" 2>&1)
code=$?
if [[ $code -eq 1 && $(digest) == "$before" ]] && grep -q 'note-too-long' <<<"$out"; then
    pass longnote "131,000-character note: exit 1 note-too-long, file unchanged"
else
    fail longnote "exit $code, digest $([[ $(digest) == "$before" ]] && echo same || echo CHANGED): $(head -c 300 <<<"$out")"
fi
million=$(python3 -c 'print("x" * 1000000)')
out=$(add "$million" 2>&1)
code=$?
if [[ $code -ne 0 && $(digest) == "$before" ]]; then
    pass longnote "1,000,000-character note: refused (exit $code: $(head -n 1 <<<"$out" | cut -c1-80)), file unchanged"
else
    fail longnote "1,000,000-character note: exit $code"
fi
verify "after longnote" "$EXPECT"

# ---- summary ---------------------------------------------------------------------------------
echo
echo "perf reliability run, $(date -u +%Y-%m-%dT%H:%MZ), $(uname -srm), $(nproc) cores, $("$PERF" --version)"
echo "workspace: the bundled one ($BASE entries); $WRITERS writers × $PER_WRITER adds, $KILLS kills"
printf '%s\n' "${RESULTS[@]}"
echo "entries at the end: $(count) (expected $EXPECT)"
if [[ $FAILED -ne 0 ]]; then
    echo "RESULT: FAILED"
    exit 1
fi
echo "RESULT: all phases passed"
