#!/usr/bin/env bash
# Every bio script end to end on SYNTHETIC data (the real bio_dataset.zip is not needed): a few
# minutes on a CPU. Nothing here says anything about the paper's numbers (see docs/BIO.md).
#
# Usage: scripts/bio_demo.sh [OUT]        (OUT: output folder, default runs/bio_demo; it is replaced)
#
#  1. bio.synthetic --tables-only   SYNTHETIC raw tables: PPI edges (7 evidence channels) + protein -> GO
#  2. bio.loader build              ego-networks from them: OUT/data/{supervised,unsupervised}
#  3. bio.pretrain_{masking,contextpred,edgepred,infomax}   on OUT/data/unsupervised
#     bio.pretrain_supervised       on the coarse GO terms, from scratch and on top of masking
#  4. bio.finetune                  species split, every encoder above and no pre-training, 3 seeds
#     (the sweep calls bio.finetune's main() in one process, to save the interpreter start per run)
#     (and one released checkpoint, if CHECKPOINT_DIR holds the original's bio *.pth files)
#  5. scripts/summarize.py          the table of test ROC-AUC (hard half of human), OUT/finetune/summary
#
# Environment: PYTHON [python]; EPOCHS_PRETRAIN [10]; EPOCHS_FINETUNE [10]; SEEDS ["0 1 2"];
#   MODEL_ARGS [--emb_dim 32 --num_layer 3: small, for speed]; CHECKPOINT_DIR [../shared/data/checkpoints/bio
#   if present]; set -x style logs go to OUT/logs/.

set -euo pipefail
if [[ ${1:-} == -h || ${1:-} == --help ]]; then sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0"; exit 0; fi
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT=${1:-runs/bio_demo}
PY=${PYTHON:-python}
EP=${EPOCHS_PRETRAIN:-10}
EF=${EPOCHS_FINETUNE:-10}
SEEDS=${SEEDS:-"0 1 2"}
read -r -a MODEL <<< "${MODEL_ARGS:---emb_dim 32 --num_layer 3}"
CKPT_DIR=${CHECKPOINT_DIR:-$REPO/../shared/data/checkpoints/bio}
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}  # tiny tensors: one thread is as fast and never contends

rm -rf "$OUT"
mkdir -p "$OUT/logs" "$OUT/models"
DATA="$OUT/data"
step() { echo; echo "== $*"; }
run() {  # run NAME CMD...: output to OUT/logs/NAME.log, last lines shown
    local name=$1; shift
    if ! "$@" > "$OUT/logs/$name.log" 2>&1; then
        echo "FAILED: $name (see $OUT/logs/$name.log)"; tail -20 "$OUT/logs/$name.log"; exit 1
    fi
    [[ ${SHOW:-2} == 0 ]] || tail -n "${SHOW:-2}" "$OUT/logs/$name.log"
}
start=$SECONDS

step "1. SYNTHETIC raw tables"
run tables "$PY" -m bio.synthetic --data-root "$DATA" --tables-only
RAW="$DATA/synthetic_raw"

step "2. ego-networks from the raw tables (the preprocessing for real PPI tables)"
SHOW=4 run build_supervised "$PY" -m bio.loader build --edges "$RAW/edges.tsv" --go "$RAW/go.tsv" \
    --root "$DATA/supervised" --data-type supervised --species 3702 6239 511145 7227 9606 10090 4932 7955 \
    --pretrain-terms "$RAW/pretrain_terms.txt" --downstream-terms "$RAW/downstream_terms.txt"
SHOW=3 run build_unsupervised "$PY" -m bio.loader build --edges "$RAW/edges.tsv" --root "$DATA/unsupervised" \
    --data-type unsupervised

step "3. pre-training (SYNTHETIC data)"
COMMON=(--data-root "$DATA" "${MODEL[@]}" --quiet --device cpu)
for m in masking contextpred edgepred infomax; do
    run "pretrain_$m" "$PY" -m "bio.pretrain_$m" "${COMMON[@]}" --epochs "$EP" --model_file "$OUT/models/gin_$m"
done
run pretrain_supervised "$PY" -m bio.pretrain_supervised "${COMMON[@]}" --epochs "$EP" \
    --output_model_file "$OUT/models/gin_supervised"
run pretrain_supervised_masking "$PY" -m bio.pretrain_supervised "${COMMON[@]}" --epochs "$EP" \
    --input_model_file "$OUT/models/gin_masking" --output_model_file "$OUT/models/gin_supervised_masking"

step "4. fine-tuning: species split, test = hard half of human (SYNTHETIC data)"
FT="$OUT/finetune/bio_synthetic"
SHOW=1 run finetune_cli "$PY" -m bio.finetune "${COMMON[@]}" --epochs "$EF" --output-dir "$OUT/finetune_cli" \
    --model_file "$OUT/models/gin_supervised_masking.pth"
# The sweep over encoders and seeds calls the same bio.finetune main() in one process, which saves
# the interpreter start (torch, PyG: about 5 s) per run.
cat > "$OUT/finetune_sweep.py" <<'PYEOF'
import sys
from bio import finetune
out, models, epochs, seeds, common = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(), sys.argv[5:]
for seed in seeds:
    for model in ("scratch", "masking", "contextpred", "edgepred", "infomax", "supervised", "supervised_masking"):
        args = common + ["--epochs", epochs, "--runseed", seed, "--output-dir", f"{out}/gin_{model}", "--filename", f"seed{seed}"]
        s = finetune.main(args + ([] if model == "scratch" else ["--model_file", f"{models}/gin_{model}.pth"]))
        print(f"gin_{model} seed {seed}: test (hard half) {s['test_last']:.4f}", flush=True)
PYEOF
SHOW=0 run finetune_sweep "$PY" "$OUT/finetune_sweep.py" "$FT" "$OUT/models" "$EF" "$SEEDS" "${COMMON[@]}"
if [[ -f $CKPT_DIR/gcn_supervised_masking.pth ]]; then
    echo "released checkpoint (the paper's GCN, 5 x 300) on the SYNTHETIC task, 2 epochs:"
    SHOW=1 run finetune_released "$PY" -m bio.finetune --data-root "$DATA" --quiet --device cpu --gnn_type gcn \
        --epochs 2 --model_file "$CKPT_DIR/gcn_supervised_masking.pth" --output-dir "$OUT/released" --filename seed0
fi

step "5. summary (ROC-AUC x 100 on SYNTHETIC data)"
"$PY" "$REPO/scripts/summarize.py" "$OUT/finetune" --out "$OUT/finetune/summary" --quiet
"$PY" - "$FT" <<'EOF'
import glob, json, os, sys
import numpy as np
rows = {}
for path in glob.glob(os.path.join(sys.argv[1], "*", "seed*.json")):
    r = json.load(open(path))
    rows.setdefault(os.path.basename(os.path.dirname(path)), []).append((r["test_last"], r["test_easy_last"]))
print(f"{'encoder (SYNTHETIC data)':28s} {'test hard':>10s} {'test easy':>10s}  (mean over seeds, last epoch)")
for name in sorted(rows, key=lambda n: (n != "gin_scratch", n)):
    a = 100 * np.array(rows[name], dtype=float)
    print(f"{name:28s} {a[:, 0].mean():10.1f} {a[:, 1].mean():10.1f}   n={len(a)}")
EOF
echo
echo "done in $((SECONDS - start)) s; tables in $OUT/finetune/summary, logs in $OUT/logs"
