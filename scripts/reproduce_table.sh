#!/usr/bin/env bash
# Reproduce part of the paper's Table 2: GCN and GraphSAGE without pre-training against
# the released supervised + ContextPred checkpoints, fine-tuned on BBBP, BACE, ClinTox and SIDER for 100
# epochs, then the tables (with the paper's numbers beside ours) and the figures.
#
# Usage: SEEDS="0 1 2" scripts/reproduce_table.sh [OUT] [DEVICE]
#   OUT     output folder [runs/reproduce_table]: OUT/runs (results), OUT/summary, OUT/figures
#   DEVICE  passed to --device [cuda if available, else cpu]
# Environment (defaults in brackets):
#   SEEDS       fine-tuning seeds [0 1 2]
#   DATASETS    datasets [bbbp bace clintox sider]; the paper's other four: tox21 toxcast hiv muv
#   CKPT_DIR    folder of the released chem checkpoints [$PRETRAIN_GNNS_SHARED/checkpoints/chem,
#               PRETRAIN_GNNS_SHARED defaulting to ../shared/data beside the repository]
#   DATA_ROOT   MoleculeNet data root [$PRETRAIN_GNNS_SHARED/moleculenet]
#   EXTRA_ARGS  more flags for chem/finetune.py [--quiet]
#   PYTHON      python interpreter [python]
#   JOBS        sweeps run at once, one per (seed, architecture, dataset) [1]; e.g. 16 beside a GPU
#   EPOCHS      fine-tuning epochs [100]
# Cost on 2 CPU cores: 4 datasets x 4 configurations x 100 epochs; with JOBS=2 OMP_NUM_THREADS=1 a run
# took 3-12 minutes (median 5) and a seed about 40 minutes (docs/RESULTS.md). When other work shares the
# cores, torch's OpenMP threads spin against it and epochs run many times slower: use OMP_NUM_THREADS=1.
# Stopped runs resume: finished results are skipped.

set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED=${PRETRAIN_GNNS_SHARED:-$REPO/../shared/data}
OUT=${1:-runs/reproduce_table}
DEVICE=${2:-}
SEEDS=${SEEDS:-0 1 2}
DATASETS=${DATASETS:-bbbp bace clintox sider}
CKPT_DIR=${CKPT_DIR:-$SHARED/checkpoints/chem}
export PYTHON=${PYTHON:-python}
# this checkout's code, whether or not (or wherever else) the package is pip-installed
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"

# The checkpoint folder holds other GCN/GraphSAGE models too: link just the two of this table.
mkdir -p "$OUT/models"
for model in gcn_supervised_contextpred graphsage_supervised_contextpred; do
    [[ -f $CKPT_DIR/$model.pth ]] || { echo "error: $CKPT_DIR/$model.pth not found (set CKPT_DIR)" >&2; exit 2; }
    ln -sfn "$(cd "$CKPT_DIR" && pwd)/$model.pth" "$OUT/models/$model.pth"
done

status=0  # a failed run is reported by the sweep; the tables still show what finished
export MODEL_DIR="$OUT/models" OUT_DIR="$OUT/runs" DATA_ROOT=${DATA_ROOT:-$SHARED/moleculenet} \
    EXTRA_ARGS=${EXTRA_ARGS:---quiet} EPOCHS=${EPOCHS:-100}
if [[ ${JOBS:-1} -gt 1 ]]; then
    # JOBS sweeps at once, one per (seed, architecture, dataset): for a GPU with many CPU cores beside it.
    mkdir -p "$OUT_DIR"
    for seed in $SEEDS; do for t in gcn graphsage; do for d in $DATASETS; do
        echo "$seed $t $d"; done; done; done |
    # each line "seed architecture dataset" becomes $1 $2 $3 of one sweep ($0 = the repository)
    xargs -P "$JOBS" -L 1 bash -c 'OMP_NUM_THREADS=1 DATASETS=$3 GNN_TYPES=$2 \
        "$0/scripts/finetune_sweep.sh" "$1" '"$DEVICE"' > "$OUT_DIR/log_$1_$2_$3.txt" 2>&1' "$REPO" || status=1
else
    for seed in $SEEDS; do
        DATASETS="$DATASETS" GNN_TYPES="gcn graphsage" \
            "$REPO/scripts/finetune_sweep.sh" "$seed" $DEVICE || status=1
    done
fi

"$PYTHON" "$REPO/scripts/summarize.py" "$OUT/runs" --reference "$REPO/scripts/paper_reference.csv" \
    --out "$OUT/summary" --quiet
"$PYTHON" "$REPO/scripts/plot.py" "$OUT/runs" --out "$OUT/figures"
echo "tables: $OUT/summary/summary.md; figures: $OUT/figures/"
exit $status
