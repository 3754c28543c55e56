#!/usr/bin/env bash
# Pre-train this project's GIN models: every strategy on the ZINC-derived corpus, then graph-level
# supervised pre-training on the ChEMBL stand-in, alone and stacked on AttrMasking and ContextPred.
#
# Usage: scripts/pretrain_zoo.sh OUT [DEVICE]
#   OUT     folder for the encoders: OUT/gin_<method>.pth + .json (config, losses, speed, versions)
#   DEVICE  passed to --device (cpu, cuda, cuda:N) [cuda if available, else cpu]
#
# Resumable: a model whose JSON exists is skipped; an interrupted one continues from its last
# finished epoch (--resume reads OUT/gin_<method>.pth.state.pt). Same settings, same seed: the same
# weights, bit for bit (tests/test_pretrain_zoo.py checks it on a small run).
#
# Environment (defaults in brackets; the defaults are the budget of docs/RESULTS.md's GIN table):
#   MOLECULES      ZINC-derived molecules per node-level method [200000] (the first N of ZINC_FILE; all: every one)
#   NODE_EPOCHS    epochs of each node-level method [1]
#   SUP_MOLECULES  ChEMBL molecules for supervised pre-training [all]
#   SUP_EPOCHS     supervised epochs [5]
#   METHODS        node-level methods, any of python -m chem.pretrain --help but supervised (e.g. graphmae)
#                  [attrmasking contextpred edgepred infomax]; "" for none
#   SUPERVISED     supervised runs: "supervised" alone, "supervised_<method>" stacked on OUT/gin_<method>
#                  [supervised supervised_attrmasking supervised_contextpred]; "" for none
#   PRECISION      fp32 or bf16 [fp32]
#   SUP_PRECISION  precision of the supervised runs [PRECISION]
#   SEED           pre-training seed [0]
#   ZINC_FILE      [$PRETRAIN_GNNS_SHARED/zinc/moses/train.csv.gz]
#   CHEMBL_FILE    [$PRETRAIN_GNNS_SHARED/chembl/chembl_5thresh.csv.gz], labels: pIC50-like >= 6 active
#   EXTRA_ARGS     more flags for every pre-training run, e.g. "--quiet" []
#   PYTHON         python interpreter [python]
set -euo pipefail
if [[ $# -ge 1 && ( $1 == -h || $1 == --help ) ]]; then sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0"; exit 0; fi
if [[ $# -lt 1 || $# -gt 2 ]]; then sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0" >&2; exit 2; fi
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED=${PRETRAIN_GNNS_SHARED:-$REPO/../shared/data}
OUT=$1
DEVICE=${2:-}
PY=${PYTHON:-python}
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"  # this checkout's code, installed or not
ZINC_FILE=${ZINC_FILE:-$SHARED/zinc/moses/train.csv.gz}
CHEMBL_FILE=${CHEMBL_FILE:-$SHARED/chembl/chembl_5thresh.csv.gz}
MOLECULES=${MOLECULES:-200000}
NODE_EPOCHS=${NODE_EPOCHS:-1}
SUP_EPOCHS=${SUP_EPOCHS:-5}
METHODS=${METHODS-attrmasking contextpred edgepred infomax}
SUPERVISED=${SUPERVISED-supervised supervised_attrmasking supervised_contextpred}
PRECISION=${PRECISION:-fp32}
SUP_PRECISION=${SUP_PRECISION:-$PRECISION}
SEED=${SEED:-0}
for f in "$ZINC_FILE" "$CHEMBL_FILE"; do
    [[ -f $f ]] || { echo "error: $f not found (set PRETRAIN_GNNS_SHARED, ZINC_FILE or CHEMBL_FILE)" >&2; exit 2; }
done
# A stacked run needs its base: trained in this call or finished before. Checked before any training.
for name in $SUPERVISED; do
    base=${name#supervised}; base=${base#_}
    [[ $name == supervised* ]] || { echo "error: '$name' in SUPERVISED is not supervised or supervised_<method>" >&2; exit 2; }
    if [[ -n $base && " $METHODS " != *" $base "* && ! -f $OUT/gin_$base.json ]]; then
        echo "error: $name needs $OUT/gin_$base.pth: add $base to METHODS" >&2; exit 2
    fi
done
mkdir -p "$OUT"

common=(--seed "$SEED" --resume)
[[ -n $DEVICE ]] && common+=(--device "$DEVICE")

# pretrain NAME SCRIPT ARGS...: skip a finished model, else train (or resume) it.
pretrain() {
    local name=$1 script=$2; shift 2
    if [[ -f $OUT/$name.json ]]; then echo "skip: $OUT/$name.json exists"; return; fi
    echo "== $name"
    # EXTRA_ARGS is split on spaces on purpose: it holds several flags.
    # shellcheck disable=SC2086
    "$PY" "$REPO/chem/$script" "${common[@]}" --output_model_file "$OUT/$name.pth" "$@" ${EXTRA_ARGS:-}
}

node=(--smiles-file "$ZINC_FILE" --epochs "$NODE_EPOCHS" --precision "$PRECISION")
[[ $MOLECULES != all ]] && node+=(--max-molecules "$MOLECULES")
for method in $METHODS; do
    pretrain "gin_$method" "pretrain_$method.py" "${node[@]}"
done

sup=(--smiles-file "$CHEMBL_FILE" --threshold 6 --epochs "$SUP_EPOCHS" --precision "$SUP_PRECISION")
[[ -n ${SUP_MOLECULES:-} ]] && sup+=(--max-molecules "$SUP_MOLECULES")
for name in $SUPERVISED; do
    base=${name#supervised}
    base=${base#_}
    init=()
    [[ -n $base ]] && init=(--input_model_file "$OUT/gin_$base.pth")
    pretrain "gin_$name" pretrain_supervised.py "${sup[@]}" "${init[@]}"
done
echo "models in $OUT"
