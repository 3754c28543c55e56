#!/usr/bin/env bash
# The regression table of docs/RESULTS.md in one command: ESOL, FreeSolv and Lipophilicity (scaffold split,
# the paper's fine-tuning protocol: 100 epochs, batch 32, dropout 0.5, Adam 1e-3, MSE on standardised
# targets), no pre-training against the released GCN/GraphSAGE/GAT supervised + ContextPred models and this
# project's GIN models, 3 seeds, then the table (test RMSE under both selection rules, the training-mean
# baseline, the published references of scripts/reference_regression.csv) and the gain figures.
#
# Usage: scripts/regression_table.sh [OUT] [DEVICE]
#   OUT     output folder [docs/results/regression]: OUT/runs, OUT/summary/summary.md, OUT/figures
#   DEVICE  passed to --device [cuda if available, else cpu]
# Environment: as scripts/reproduce_table.sh (SEEDS, JOBS, EPOCHS, DATA_ROOT, CKPT_DIR, PYTHON, ...), with
#   DATASETS   [esol freesolv lipophilicity]
#   GNN_TYPES  [gin gcn graphsage gat]
#   MODELS     [$CKPT_DIR/{gcn,graphsage,gat}_supervised_contextpred.pth and models/chem/*.pth]
#   REFERENCE  [scripts/reference_regression.csv]
# Cost on this 2-core CPU (OMP_NUM_THREADS=1): 15 configurations x 3 datasets x 3 seeds = 135 runs. A
# FreeSolv epoch (GIN 5 x 300) took 1.0-1.3 s on a quiet core, so a 100-epoch run about 2 minutes; ESOL
# has 1.8x and Lipophilicity 6.5x as many molecules (estimated 4 and 13 minutes): about 14 hours of one
# core in all, 7-10 hours with JOBS=2, more when other work shares the cores. Stopped runs resume:
# finished results are skipped. Then refresh the table in docs/RESULTS.md from OUT/summary/summary.md
# (tests/test_regression_table.py checks it).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED=${PRETRAIN_GNNS_SHARED:-$REPO/../shared/data}
CKPT_DIR=${CKPT_DIR:-$SHARED/checkpoints/chem}
export DATASETS=${DATASETS:-esol freesolv lipophilicity}
export GNN_TYPES=${GNN_TYPES:-gin gcn graphsage gat}
export MODELS=${MODELS:-$CKPT_DIR/gcn_supervised_contextpred.pth $CKPT_DIR/graphsage_supervised_contextpred.pth \
$CKPT_DIR/gat_supervised_contextpred.pth $REPO/models/chem/*.pth}
export REFERENCE=${REFERENCE:-$REPO/scripts/reference_regression.csv}
export SEEDS=${SEEDS:-0 1 2}
exec "$REPO/scripts/reproduce_table.sh" "${1:-docs/results/regression}" "${2:-}"
