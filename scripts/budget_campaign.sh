#!/usr/bin/env bash
# The pre-training budget campaign: AttrMasking and ContextPred (cbow, csize 3) on the whole
# ZINC-derived corpus for NODE_EPOCHS epochs, keeping the encoder after every epoch (the points of
# the budget curve), then supervised pre-training on the ChEMBL stand-in stacked on each.
#
# Usage: scripts/budget_campaign.sh OUT [DEVICE]
#   OUT     OUT/gin_<method>.epoch<E>.pth + .json after each epoch E, OUT/gin_<method>.pth the last,
#           OUT/gin_supervised_<method>.pth, OUT/logs/<lane>.log, OUT/cpu.txt
#   DEVICE  passed to --device [cuda if available, else cpu]
#
# One lane per node-level method, run side by side (one OpenMP thread each: one lane per core).
# Every step resumes: an epoch is resumed from OUT/gin_<method>.pth.state.pt (the same weights, bit
# for bit, as an uninterrupted run), a finished snapshot or model is skipped. Run it again after any
# interruption.
#
# Environment (defaults in brackets):
#   METHODS      node-level methods, one lane each [attrmasking contextpred]
#   NODE_EPOCHS  epochs of each node-level method over the whole corpus [3]
#   SUP_EPOCHS   supervised epochs stacked on each node-level model [20]; 0: none
#   PRECISION    node-level precision: auto (bf16 where the CPU computes it natively: AVX512-BF16 or
#                AMX; else fp32), fp32 or bf16 [auto]. Supervised pre-training is always fp32.
#   ZINC_FILE    [$PRETRAIN_GNNS_SHARED/zinc/moses/train.csv.gz]
#   CHEMBL_FILE  [$PRETRAIN_GNNS_SHARED/chembl/chembl_5thresh.csv.gz], labels: >= 6 active
#   SEED         [0]
#   PYTHON       [python]
set -euo pipefail
if [[ $# -ge 1 && ( $1 == -h || $1 == --help ) ]]; then sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0"; exit 0; fi
if [[ $# -lt 1 || $# -gt 2 ]]; then sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0" >&2; exit 2; fi
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED=${PRETRAIN_GNNS_SHARED:-$REPO/../shared/data}
OUT=$1
DEVICE=${2:-}
PY=${PYTHON:-python}
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
ZINC_FILE=${ZINC_FILE:-$SHARED/zinc/moses/train.csv.gz}
CHEMBL_FILE=${CHEMBL_FILE:-$SHARED/chembl/chembl_5thresh.csv.gz}
METHODS=${METHODS:-attrmasking contextpred}
NODE_EPOCHS=${NODE_EPOCHS:-3}
SUP_EPOCHS=${SUP_EPOCHS:-20}
SEED=${SEED:-0}
for f in "$ZINC_FILE" "$CHEMBL_FILE"; do
    [[ -f $f ]] || { echo "error: $f not found (set PRETRAIN_GNNS_SHARED, ZINC_FILE or CHEMBL_FILE)" >&2; exit 2; }
done
mkdir -p "$OUT/logs"

# The precision is chosen once per campaign (a resumed run must use the same) and kept in OUT.
if [[ -f $OUT/precision ]]; then
    PRECISION=$(cat "$OUT/precision")
else
    PRECISION=${PRECISION:-auto}
    if [[ $PRECISION == auto ]]; then
        if grep -qwE 'avx512_bf16|amx_bf16' /proc/cpuinfo 2>/dev/null || [[ $DEVICE == cuda* ]]; then
            PRECISION=bf16
        else
            PRECISION=fp32
        fi
    fi
    echo "$PRECISION" >"$OUT/precision"
fi
{
    grep -m1 'model name' /proc/cpuinfo || true
    echo "bf16 flags: $(grep -m1 -owE 'avx512_bf16|amx_bf16' /proc/cpuinfo | sort -u | tr '\n' ' ')"
    echo "node-level precision: $PRECISION"
} >"$OUT/cpu.txt"

device=()
[[ -n $DEVICE ]] && device=(--device "$DEVICE")

# snapshot SRC DST: copy a model and its JSON under another name, atomically.
snapshot() {
    local src=$1 dst=$2
    cp "$src" "$dst.tmp" && mv "$dst.tmp" "$dst"
    cp "${src%.pth}.json" "${dst%.pth}.json.tmp" && mv "${dst%.pth}.json.tmp" "${dst%.pth}.json"
}

# lane METHOD: its epochs one at a time (each run extends the last by one epoch, resuming its
# training state), a snapshot after each, then the supervised stage stacked on the last.
lane() {
    local method=$1 e
    local model=$OUT/gin_$method.pth
    for ((e = 1; e <= NODE_EPOCHS; e++)); do
        [[ -f $OUT/gin_$method.epoch$e.json ]] && continue
        echo "== $method epoch $e of $NODE_EPOCHS ($(date -u +%FT%TZ))"
        "$PY" "$REPO/chem/pretrain_$method.py" "${device[@]}" --seed "$SEED" --precision "$PRECISION" --resume \
            --quiet --smiles-file "$ZINC_FILE" --epochs "$e" --output_model_file "$model"
        snapshot "$model" "$OUT/gin_$method.epoch$e.pth"
    done
    if [[ $SUP_EPOCHS -gt 0 && ! -f $OUT/gin_supervised_$method.json ]]; then
        echo "== supervised on $method, $SUP_EPOCHS epochs ($(date -u +%FT%TZ))"
        "$PY" "$REPO/chem/pretrain_supervised.py" "${device[@]}" --seed "$SEED" --precision fp32 --resume --quiet \
            --smiles-file "$CHEMBL_FILE" --threshold 6 --epochs "$SUP_EPOCHS" \
            --input_model_file "$OUT/gin_$method.epoch$NODE_EPOCHS.pth" \
            --output_model_file "$OUT/gin_supervised_$method.pth"
    fi
    echo "== $method lane done ($(date -u +%FT%TZ))"
}

pids=()
for method in $METHODS; do
    lane "$method" >>"$OUT/logs/$method.log" 2>&1 &
    pids+=($!)
done
# A stopped campaign stops its lanes (and their training processes) too.
trap 'kill "${pids[@]}" 2>/dev/null; pkill -P "$(echo "${pids[@]}" | tr " " ,)" 2>/dev/null; exit 143' INT TERM
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
echo "campaign in $OUT: $(ls "$OUT"/*.pth 2>/dev/null | wc -l) models; status $status"
exit $status
