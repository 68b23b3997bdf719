#!/usr/bin/env bash
# The search as users run it, from image folders: `mlnetcnn search` with ASHA and with random search (same budget, space and
# seed), and `mlnetcnn train` with its defaults, each scored by `mlnetcnn evaluate` on the held-out Fashion-MNIST test set
# (10,000 images). Prints one Markdown row per run: test accuracy, the search's wall time against its budget, trials and how
# they ended. Needs Fashion-MNIST (eng/setup.sh --data) and Debian 13's Python with numpy and PIL (eng/setup.sh --pytorch).
# DATA is fashion (Fashion-MNIST, TRAIN_ROWS training images) or shapes (random-colour circles, squares and triangles, 32x32,
# TRAIN_ROWS per class; 300 per class held out), where colour is not the answer.
# Usage: bash bench/Search/run.sh [BUDGET_SECONDS] [SEEDS] [TRAIN_ROWS] [train|no-train] [fashion|shapes]
#   e.g. bash bench/Search/run.sh 600 1,2,3 5000; bash bench/Search/run.sh 300 1 400 no-train shapes
set -euo pipefail
cd "$(dirname "$0")/../.."
budget="${1:-600}"; seeds="${2:-1}"; rows="${3:-5000}"; baseline="${4:-train}"; dataset="${5:-fashion}"
work="${MLNETCNN_BENCH_DIR:-/tmp/mlnetcnn-bench-search}/$dataset"
tool=(dotnet src/Cli/bin/Release/net10.0/mlnetcnn.dll)
dotnet build -c Release src/Cli -v quiet -nologo >/dev/null
case "$dataset" in
  fashion) [ -d "$work/data/train" ] || /usr/bin/python3.13 bench/Search/fashion_folders.py "$work/data" "$rows" 1 ;;
  shapes) [ -d "$work/data/train" ] || /usr/bin/python3.13 bench/Search/shape_folders.py "$work/data" "$rows" 1 ;;
  *) echo "DATA must be fashion or shapes; got $dataset" >&2; exit 2 ;;
esac

test_accuracy() { "${tool[@]}" evaluate --model "$1" --images "$work/data/test" --json | /usr/bin/python3.13 -c 'import json,sys; print(f"{json.load(sys.stdin)["microAccuracy"]*100:.2f}")'; }
trials() { /usr/bin/python3.13 - "$1" <<'PY'
import json, sys, collections
t = json.load(open(sys.argv[1] + "/trials.json"))
m = json.load(open(sys.argv[1] + "/metrics.json"))
c = collections.Counter(x["status"] for x in t)
best = max((x for x in t if x["validationAccuracy"] is not None and x["status"] in ("Completed", "StoppedEarly")), key=lambda x: x["validationAccuracy"])
print(f'{len(t)} | {", ".join(f"{n} {s}" for s, n in sorted(c.items()))} | {m["architecture"]} {m["imageSize"]}px, {m["epochs"]:g} ep | {m["searchSeconds"]:.0f}')
PY
}

echo "$(date -u +%F), $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, CPU flags: $(grep -oE 'avx512_vnni|avx512_bf16|amx_tile' /proc/cpuinfo | sort -u | tr '\n' ' ')"
if [ "$dataset" = fashion ]; then
  echo "Fashion-MNIST: $rows training images as PNG folders (validation: a seeded 20% of them), test set of 10,000 held out; budget $budget s."
else
  echo "Random-colour shapes (3 classes, 32x32, random colours on random backgrounds, sizes and positions): $rows per class as PNG folders (validation: a seeded 20%), 900 held out; budget $budget s."
fi
echo
echo "| run | seed | test accuracy % | trials | how they ended | best model | wall s |"
echo "|---|---:|---:|---:|---|---|---:|"
for seed in ${seeds//,/ }; do
  for strategy in asha random; do
    out="$work/$strategy-$budget-$seed"; rm -rf "$out" "$out.partial"
    "${tool[@]}" search --images "$work/data/train" --time-budget "$budget" --strategy "$strategy" --seed "$seed" --out "$out" > "$out.log" 2>&1
    echo "| search $strategy | $seed | $(test_accuracy "$out") | $(trials "$out") |"
  done
done
[ "$baseline" = train ] || exit 0
out="$work/train-defaults"; rm -rf "$out" "$out.partial"
start=$(date +%s)
"${tool[@]}" train --images "$work/data/train" --out "$out" > "$out.log" 2>&1
model=$(/usr/bin/python3.13 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(f"{m["architecture"]} {m["imageSize"]}px, {m["epochs"]:g} ep")' "$out/metrics.json")
echo "| train, defaults | 1 | $(test_accuracy "$out") | 1 | - | $model | $(( $(date +%s) - start )) |"
