#!/usr/bin/env bash
# Fine-tune sweep over MoleculeNet (the original's finetune_tune.sh, resumable).
#
# Usage: scripts/finetune_sweep.sh SEEDS [DEVICE]
#   SEEDS   fine-tuning seeds: 7, 0-9, 0,1,2 (the paper: 0-9); a configuration's seeds still to run
#           go to one process (--runseeds), which loads and splits the data once
#   DEVICE  passed to --device (cpu, cuda, cuda:N, or a GPU index); default: cuda if available
#
# Runs every dataset x configuration, where the configurations are, for each architecture: no
# pre-training (<gnn_type>_scratch) and every MODEL_DIR/*.pth of that architecture (named by the JSON
# beside it, else by its name's prefix: gin_, gcn_, ...; the configuration is named by the file's stem).
# Results go to
#   $OUT_DIR/<dataset>/<config>/seed<N>.json (+ .csv per epoch).
# A run whose JSON exists is skipped, so a stopped sweep is resumed by running it again.
# Then: python scripts/summarize.py $OUT_DIR; python scripts/plot.py $OUT_DIR
#
# Environment (defaults in brackets):
#   DATASETS   datasets to run [the paper's eight: chem/datasets.py MOLECULENET]; the regression sets
#              "esol freesolv lipophilicity" run the same way (test RMSE; summarize.py makes their table)
#   EPOCHS     fine-tuning epochs [100]
#   MODEL_DIR  folder of pre-trained checkpoints [models/chem]
#   GNN_TYPES  architectures to run [those of the checkpoints found, else gin]
#   OUT_DIR    output folder [runs/finetune_sweep/chem]
#   DATA_ROOT  passed to --data-root [chem/finetune.py's default: $PRETRAIN_GNNS_DATA or ./dataset]
#   EXTRA_ARGS more flags for chem/finetune.py, e.g. "--quiet --num_layer 2" []
#   PYTHON     python interpreter [python]

set -u
SWEEP_MODULE=chem.finetune
SWEEP_PASS_DATASET=1
DATASETS=${DATASETS:-}  # empty: chem/datasets.py MOLECULENET
EPOCHS=${EPOCHS:-100}
MODEL_DIR=${MODEL_DIR:-models/chem}
OUT_DIR=${OUT_DIR:-runs/finetune_sweep/chem}
source "$(dirname "${BASH_SOURCE[0]}")/sweep_common.sh"
run_sweep "$@"
