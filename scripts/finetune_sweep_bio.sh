#!/usr/bin/env bash
# Fine-tune sweep on the bio (PPI) task (the original's bio/finetune_tune.sh, resumable).
#
# Usage: scripts/finetune_sweep_bio.sh SEEDS [DEVICE]
#   SEEDS   fine-tuning seeds: 7, 0-9, 0,1,2 (the paper: 0-9); a configuration's seeds still to run
#           go to one process (--runseeds), which loads and splits the data once
#   DEVICE  passed to --device; default: cuda if available
#
# Configurations, for each architecture: no pre-training (<gnn_type>_scratch) and every MODEL_DIR/*.pth
# of that architecture (named by the JSON beside it, else by its name's prefix: gin_, gcn_, ...;
# the configuration is named by the file's stem).
# Results go to $OUT_DIR/bio/<config>/seed<N>.json (+ .csv per epoch); a run whose JSON exists is
# skipped. Then: python scripts/summarize.py $OUT_DIR; python scripts/plot.py $OUT_DIR
#
# Environment (defaults in brackets):
#   EPOCHS     fine-tuning epochs [50, as the original]
#   MODEL_DIR  folder of pre-trained checkpoints [models/bio]
#   GNN_TYPES  architectures to run [those of the checkpoints found, else gin]
#   OUT_DIR    output folder [runs/finetune_sweep/bio]
#   DATA_ROOT  passed to --data-root [bio/finetune.py's default]
#   EXTRA_ARGS more flags for bio/finetune.py, e.g. "--split species --quiet" []
#   PYTHON     python interpreter [python]
#   DATASETS   name of the result folder level [bio]; bio has one task, --dataset is not passed

set -u
SWEEP_MODULE=bio.finetune
SWEEP_PASS_DATASET=0
DATASETS=${DATASETS:-bio}
EPOCHS=${EPOCHS:-50}
MODEL_DIR=${MODEL_DIR:-models/bio}
OUT_DIR=${OUT_DIR:-runs/finetune_sweep/bio}
source "$(dirname "${BASH_SOURCE[0]}")/sweep_common.sh"
run_sweep "$@"
