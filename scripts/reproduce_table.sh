#!/usr/bin/env bash
# Reproduce part of the paper's tables: each architecture without pre-training against pre-trained
# checkpoints, fine-tuned on BBBP, BACE, ClinTox and SIDER for 100 epochs, then the tables (with the
# paper's numbers beside ours) and the figures. Default: Table 2's GCN and GraphSAGE rows with the
# released supervised + ContextPred checkpoints; this project's GIN models (Table 1):
#   MODELS="models/chem/*.pth" GNN_TYPES=gin REFERENCE=scripts/paper_reference_gin.csv \
#       scripts/reproduce_table.sh docs/results/gin_table1 cpu
#
# Usage: SEEDS="0 1 2" scripts/reproduce_table.sh [OUT] [DEVICE]
#   OUT     output folder [runs/reproduce_table]: OUT/runs (results), OUT/summary, OUT/figures
#   DEVICE  passed to --device [cuda if available, else cpu]
# Environment (defaults in brackets):
#   SEEDS       fine-tuning seeds [0 1 2]
#   DATASETS    datasets [bbbp bace clintox sider]; the paper's other four: tox21 toxcast hiv muv
#   CKPT_DIR    folder of the released chem checkpoints [$PRETRAIN_GNNS_SHARED/checkpoints/chem,
#               PRETRAIN_GNNS_SHARED defaulting to ../shared/data beside the repository]
#   MODELS      checkpoints to compare, space-separated (globs allowed)
#               [$CKPT_DIR/gcn_supervised_contextpred.pth $CKPT_DIR/graphsage_supervised_contextpred.pth]
#   GNN_TYPES   architectures [gcn graphsage]: each gets its no-pre-training run and the MODELS of its type
#   REFERENCE   the paper's numbers for the tables [scripts/paper_reference.csv]
#   DATA_ROOT   MoleculeNet data root [$PRETRAIN_GNNS_SHARED/moleculenet]
#   EXTRA_ARGS  more flags for chem/finetune.py [--quiet]
#   PYTHON      python interpreter [python]
#   JOBS        sweeps run at once, one per (architecture, dataset) [1]; e.g. 8 beside a GPU
#   EPOCHS      fine-tuning epochs [100]
# Cost: 4 datasets x 4 configurations x 100 epochs per seed (what one run took: docs/RESULTS.md). When
# other work shares the cores, torch's OpenMP threads spin against it and epochs run many times slower:
# use OMP_NUM_THREADS=1.
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

GNN_TYPES=${GNN_TYPES:-gcn graphsage}
MODELS=${MODELS:-$CKPT_DIR/gcn_supervised_contextpred.pth $CKPT_DIR/graphsage_supervised_contextpred.pth}

# A checkpoint folder holds other models too: link just the ones of this table.
mkdir -p "$OUT/models"
for model in $MODELS; do
    [[ -f $model ]] || { echo "error: $model not found (set MODELS or CKPT_DIR)" >&2; exit 2; }
    ln -sfn "$(cd "$(dirname "$model")" && pwd)/$(basename "$model")" "$OUT/models/$(basename "$model")"
    # with the JSON beside it, which records the architecture that fine-tuning checks
    json="${model%.*}.json"
    if [[ -f $json ]]; then ln -sfn "$(cd "$(dirname "$json")" && pwd)/$(basename "$json")" "$OUT/models/"; fi
done

status=0  # a failed run is reported by the sweep; the tables still show what finished
export MODEL_DIR="$OUT/models" OUT_DIR="$OUT/runs" DATA_ROOT=${DATA_ROOT:-$SHARED/moleculenet} \
    EXTRA_ARGS=${EXTRA_ARGS:---quiet} EPOCHS=${EPOCHS:-100}
SEED_LIST=$(echo $SEEDS | tr ' ' ',')  # a configuration's seeds run in one process (--runseeds)
if [[ ${JOBS:-1} -gt 1 ]]; then
    # JOBS sweeps at once, one per (architecture, dataset): for a GPU with many CPU cores beside it.
    mkdir -p "$OUT_DIR"
    for t in $GNN_TYPES; do for d in $DATASETS; do echo "$t $d"; done; done |
    # each line "architecture dataset" becomes $1 $2 of one sweep ($0 = the repository)
    xargs -P "$JOBS" -L 1 bash -c 'OMP_NUM_THREADS=1 DATASETS=$2 GNN_TYPES=$1 \
        "$0/scripts/finetune_sweep.sh" '"$SEED_LIST"' '"$DEVICE"' > "$OUT_DIR/log_$1_$2.txt" 2>&1' "$REPO" || status=1
else
    DATASETS="$DATASETS" GNN_TYPES="$GNN_TYPES" "$REPO/scripts/finetune_sweep.sh" "$SEED_LIST" $DEVICE || status=1
fi

"$PYTHON" "$REPO/scripts/summarize.py" "$OUT/runs" --reference "${REFERENCE:-$REPO/scripts/paper_reference.csv}" \
    --out "$OUT/summary" --quiet
"$PYTHON" "$REPO/scripts/plot.py" "$OUT/runs" --out "$OUT/figures"
echo "tables: $OUT/summary/summary.md; figures: $OUT/figures/"
exit $status
