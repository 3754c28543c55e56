#!/usr/bin/env bash
# The budget curve: fine-tune (the paper's protocol) from no pre-training and from each node-level
# method after 782, ~6,190 and ~18,570 pre-training steps, on DATASET, in priority order, two lanes.
#
# Usage: scripts/budget_curve.sh CAMPAIGN OUT [DEVICE]
#   CAMPAIGN  the snapshots gin_<method>.epoch<E>.pth + .json: scripts/budget_campaign.sh's OUT, or their
#             float16 copies (scripts/ship_models.py --snapshots; docs/results/budget_curve/snapshots)
#   OUT       OUT/models (links, one per point, named gin_<method>_<steps>steps), OUT/runs/<dataset>/
#             <config>/seed<N>.json + .csv (the layout of scripts/finetune_sweep.sh), OUT/logs
#   DEVICE    passed to --device [cpu]
#
# Jobs are (configuration, seed) pairs in a fixed priority order: the first method's curve with
# SEEDS seeds, then the extra seeds of no pre-training and of its largest budget, then the next method.
# LANES workers take jobs from that list; a job whose JSON exists is skipped and a job taken by a
# running worker is left to it (a claim folder), so the script resumes after any interruption and
# may be run again while points are missing. A point whose snapshot is not there yet is skipped.
#
# Environment (defaults in brackets):
#   METHODS     [attrmasking contextpred]
#   DATASET     [tox21]
#   BASE_DIR    the 782-step models, gin_<method>.pth (200,000 molecules x 1 epoch, shipped before the
#               campaign; restore with: git show c3e21aa:models/chem/gin_<method>.pth > BASE_DIR/...)
#               [docs/results/budget_curve/snapshots/base; only the cards are committed there]
#   EPOCHS      snapshot epochs of the campaign to fine-tune from ["1 3"]
#   SEEDS       seeds of every point [0 1 2]; EXTRA_SEEDS of no pre-training and of the last epoch [3 4]
#   LANES       workers at once, one OpenMP thread each [2]
#   FT_EPOCHS   fine-tuning epochs [100, the paper's]
#   DATA_ROOT   [$PRETRAIN_GNNS_SHARED/moleculenet]
#   PYTHON      [python]
set -euo pipefail
if [[ $# -ge 1 && ( $1 == -h || $1 == --help ) ]]; then sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0"; exit 0; fi
if [[ $# -lt 2 || $# -gt 3 ]]; then sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0" >&2; exit 2; fi
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED=${PRETRAIN_GNNS_SHARED:-$REPO/../shared/data}
CAMPAIGN=$(cd "$1" && pwd)
OUT=$2
DEVICE=${3:-cpu}
PY=${PYTHON:-python}
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
METHODS=${METHODS:-attrmasking contextpred}
DATASET=${DATASET:-tox21}
BASE_DIR=$(cd "${BASE_DIR:-$REPO/docs/results/budget_curve/snapshots/base}" && pwd)
EPOCHS=${EPOCHS:-1 3}
SEEDS=${SEEDS:-0 1 2}
EXTRA_SEEDS=${EXTRA_SEEDS:-3 4}
LANES=${LANES:-2}
FT_EPOCHS=${FT_EPOCHS:-100}
DATA_ROOT=${DATA_ROOT:-$SHARED/moleculenet}
mkdir -p "$OUT/models" "$OUT/runs" "$OUT/logs"
rm -rf "$OUT/claims"  # claims of workers that no longer run
mkdir -p "$OUT/claims"

# steps_of JSON: the optimiser steps a pre-training report (or shipped card) records.
steps_of() {
    "$PY" - "$1" <<'EOF'
import json, math, sys
d = json.load(open(sys.argv[1]))
if "history" in d:
    print(sum(h["steps"] for h in d["history"]))
else:
    print(math.ceil(d["molecules"] / d["batch_size"]) * d["epochs"])
EOF
}

# link SRC NAME: OUT/models/NAME.pth and .json -> SRC and its JSON.
link() {
    ln -sfn "$1" "$OUT/models/$2.pth"
    ln -sfn "${1%.pth}.json" "$OUT/models/$2.json"
}

# The jobs, one "config seed checkpoint" line each, in priority order.
jobs=$OUT/jobs.txt
: >"$jobs.tmp"
for method in $METHODS; do
    points=()
    if [[ -f $BASE_DIR/gin_$method.json ]]; then
        name=gin_${method}_$(steps_of "$BASE_DIR/gin_$method.json")steps
        link "$BASE_DIR/gin_$method.pth" "$name"
        points+=("$name")
    fi
    last=""
    for e in $EPOCHS; do
        snap=$CAMPAIGN/gin_$method.epoch$e.pth
        [[ -f ${snap%.pth}.json ]] || continue
        name=gin_${method}_$(steps_of "${snap%.pth}.json")steps
        link "$snap" "$name"
        points+=("$name")
        last=$name
    done
    for seed in $SEEDS; do
        echo "gin_scratch $seed -" >>"$jobs.tmp"
        for p in "${points[@]}"; do echo "$p $seed $OUT/models/$p.pth" >>"$jobs.tmp"; done
    done
    for seed in $EXTRA_SEEDS; do
        echo "gin_scratch $seed -" >>"$jobs.tmp"
        [[ -n $last ]] && echo "$last $seed $OUT/models/$last.pth" >>"$jobs.tmp"
    done
done
awk '!seen[$1" "$2]++' "$jobs.tmp" >"$jobs" && rm "$jobs.tmp"
echo "$(wc -l <"$jobs") jobs on $DATASET; results in $OUT/runs"

# worker N: take the first job that is neither done nor claimed, run it, repeat.
worker() {
    local config seed ckpt out
    while read -r config seed ckpt; do
        out=$OUT/runs/$DATASET/$config
        [[ -f $out/seed$seed.json ]] && continue
        mkdir "$OUT/claims/${config}_seed$seed" 2>/dev/null || continue
        echo "== $config seed $seed ($(date -u +%FT%TZ))"
        args=(--dataset "$DATASET" --gnn_type gin --runseed "$seed" --epochs "$FT_EPOCHS" --output-dir "$out"
              --filename "seed$seed" --data-root "$DATA_ROOT" --device "$DEVICE" --quiet)
        [[ $ckpt != - ]] && args+=(--input_model_file "$ckpt")
        "$PY" -m chem.finetune "${args[@]}" || echo "FAILED: $config seed $seed"
    done <"$jobs"
}

pids=()
for ((i = 1; i <= LANES; i++)); do
    worker >>"$OUT/logs/lane$i.log" 2>&1 &
    pids+=($!)
    sleep 1
done
trap 'kill "${pids[@]}" 2>/dev/null; pkill -P "$(echo "${pids[@]}" | tr " " ,)" 2>/dev/null; exit 143' INT TERM
for pid in "${pids[@]}"; do wait "$pid"; done
echo "done: $(find "$OUT/runs" -name 'seed*.json' | wc -l) results"
