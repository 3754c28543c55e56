#!/usr/bin/env bash
# A small pre-training run on ZINC-derived molecules, then fine-tuning on BBBP and BACE against no
# pre-training, in fp32 and with bf16 pre-training: the check behind the pre-training issue's note.
#
# Usage: scripts/zinc_pretrain_check.sh [OUT]   (default runs/zinc_check)
# Environment: N_MOLECULES [20000], PRETRAIN_EPOCHS [3], FINETUNE_EPOCHS [30], SEEDS ["0"],
#   SHARED [../shared/data], PYTHON [python]. Costs: docs/results/zinc_check.md.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT=${1:-runs/zinc_check}
SHARED=${SHARED:-${PRETRAIN_GNNS_SHARED:-$REPO/../shared/data}}
PY=${PYTHON:-python}
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"  # this checkout's code, installed or not
N=${N_MOLECULES:-20000}
mkdir -p "$OUT"
for precision in fp32 bf16; do
    [[ -f $OUT/gin_attrmasking_$precision.pth ]] || $PY "$REPO"/chem/pretrain_attrmasking.py --quiet \
        --smiles-file "$SHARED/zinc/moses/train.csv.gz" --max-molecules "$N" --epochs "${PRETRAIN_EPOCHS:-3}" \
        --precision "$precision" --output_model_file "$OUT/gin_attrmasking_$precision"
done
for seed in ${SEEDS:-0}; do
    for dataset in bbbp bace; do
        for model in gin_scratch gin_attrmasking_fp32 gin_attrmasking_bf16; do
            [[ -f $OUT/$dataset/$model/seed$seed.json ]] && continue
            init=(); [[ $model != gin_scratch ]] && init=(--input_model_file "$OUT/$model.pth")
            $PY "$REPO"/chem/finetune.py --quiet --dataset "$dataset" --data-root "$SHARED/moleculenet" \
                --epochs "${FINETUNE_EPOCHS:-30}" --runseed "$seed" "${init[@]}" \
                --output-dir "$OUT/$dataset/$model" --filename "seed$seed"
        done
    done
done
$PY "$REPO"/scripts/summarize.py "$OUT" --out "$OUT/summary" --quiet && cat "$OUT/summary/summary.md"
