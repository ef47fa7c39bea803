#!/usr/bin/env bash
# Compares `perf check --format json` (its output and exit code) of two builds on randomly
# mutated copies of the bundled workspace: commas, quotes, CR, LF, byte-order marks, control
# characters, conflict markers, bad dates and values inserted, bytes deleted or copied. Used when
# optimising the reader and the rules (docs/performance.md): a faster build must say exactly what
# the old one said. Not run in CI.
#
#   scripts/differential.sh OLD_PERF [NEW_PERF] [SEEDS]
#   scripts/differential.sh /tmp/old/perf target/release/perf 300
#
# OLD_PERF is a build of an earlier commit (`git worktree add /tmp/old <rev> && cargo build
# --release --manifest-path /tmp/old/Cargo.toml`). Exit code 1 when some seed differs; its
# workspace is kept and its path printed.
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=${1:?usage: scripts/differential.sh OLD_PERF [NEW_PERF] [SEEDS]}
NEW=${2:-target/release/perf}
SEEDS=${3:-200}
WORK=$(mktemp -d /tmp/perf-diff.XXXXXX)
failed=0
for seed in $(seq 1 "$SEEDS"); do
    ws=$WORK/ws-$seed
    python3 - "$PWD" "$ws" "$seed" <<'PY'
import os, random, shutil, sys
src, ws, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
random.seed(seed)
os.makedirs(ws)
shutil.copy(os.path.join(src, "perf.toml"), ws)
for d in ["indicators", "reports"]:
    shutil.copytree(os.path.join(src, d), os.path.join(ws, d))
csvs = sorted(os.listdir(os.path.join(ws, "reports", "2014")))
tokens = [b",", b'"', b"\n", b"\r", b"\r\n", b'""', b" ", b"\xef\xbb\xbf", b"x", b"-1",
          b"2014-13-01", b"\t", b"\x07", b"<<<<<<< HEAD\n"]
for _ in range(random.randint(1, 4)):
    path = os.path.join(ws, "reports", "2014", random.choice(csvs))
    b = open(path, "rb").read()
    for _ in range(random.randint(1, 6)):
        i, op = random.randrange(len(b) + 1), random.random()
        if op < 0.5:
            b = b[:i] + random.choice(tokens) + b[i:]
        elif op < 0.8:
            b = b[:i] + b[i + random.randint(1, 8):]
        else:
            j = random.randrange(len(b) + 1)
            b = b[:i] + b[j:j + 40] + b[i:]
    open(path, "wb").write(b)
PY
    for side in old new; do
        bin=$OLD
        [[ $side == new ]] && bin=$NEW
        set +e
        "$bin" --today 2015-01-20 --root "$ws" check --format json >"$ws.$side" 2>&1
        echo "exit $?" >>"$ws.$side"
        set -e
    done
    if ! cmp -s "$ws.old" "$ws.new"; then
        echo "differential: seed $seed differs: $ws (outputs in $ws.old, $ws.new)" >&2
        failed=1
    else
        rm -rf "$ws" "$ws.old" "$ws.new"
    fi
done
[[ $failed == 0 ]] && { echo "differential: $SEEDS seeds, same output"; rm -rf "$WORK"; }
exit $failed
