#!/usr/bin/env bash
# Every pre-training method on CUDA, fp32 and bf16: molecules/s, share of step time waiting on data,
# per-batch transform cost and peak GPU memory, on a ZINC-derived subset; then fine-tuning and evaluation
# on BBBP, fp32 beside bf16 (a few minutes on one GPU).
#
#   scripts/gpu_check.sh [SMILES_FILE [MOLECULES]]
#
# SMILES_FILE (or $GPU_CHECK_SMILES): default ../shared/data/zinc/moses/test.csv.gz; MOLECULES
# (or $GPU_CHECK_MOLECULES): default 20000. Supervised runs when $GPU_CHECK_LABELS (default
# ../shared/data/chembl/chembl_5thresh.csv.gz) exists. Writes gpu_check.{json,md} (and
# gpu_check_workers4.*, the same with 4 loader workers) to $OUT if set, else to results/.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${PRETRAIN_GNNS_SHARED:-../shared/data}"
SMILES="${1:-${GPU_CHECK_SMILES:-$SHARED/zinc/moses/test.csv.gz}}"
N="${2:-${GPU_CHECK_MOLECULES:-20000}}"
LABELS="${GPU_CHECK_LABELS:-$SHARED/chembl/chembl_5thresh.csv.gz}"
DEST="${OUT:-results}"
mkdir -p "$DEST"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export PRETRAIN_GNNS_CACHE="${PRETRAIN_GNNS_CACHE:-$(mktemp -d)}"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
python3 -c "import torch, torch_geometric, rdkit; print('torch', torch.__version__, 'pyg', torch_geometric.__version__, 'rdkit', rdkit.__version__, 'cuda', torch.cuda.is_available())"
methods="attrmasking contextpred edgepred infomax"
if [ -f "$LABELS" ]; then methods="$methods supervised"; else echo "no labels file at $LABELS: supervised skipped"; fi
# shellcheck disable=SC2086
timeout 330 python3 scripts/benchmark_pretrain.py --device cuda --smiles-file "$SMILES" --labels-file "$LABELS" \
    --molecules "$N" --repeats 2 --methods $methods --out "$DEST/gpu_check"
# Fine-tuning (batch 32) and evaluation (batch 512) on BBBP, fp32 and bf16 interleaved.
if [ -d "$SHARED/moleculenet/bbbp" ]; then
    timeout 100 python3 scripts/benchmark.py --device cuda --bf16 --skip-hiv --repeats 1 --epochs 3 \
        --data-root "$SHARED/moleculenet" --out "$DEST/gpu_finetune" || echo "fine-tuning benchmark did not finish in time"
fi
# The same pre-training with the data work in 4 loader processes beside the GPU (fp32 only).
# shellcheck disable=SC2086
timeout 60 python3 scripts/benchmark_pretrain.py --device cuda --smiles-file "$SMILES" --labels-file "$LABELS" \
    --molecules "$N" --repeats 2 --methods $methods --precisions fp32 --num-workers 4 --out "$DEST/gpu_check_workers4" \
    || echo "workers run did not finish in time"
