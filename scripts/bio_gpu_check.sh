#!/usr/bin/env bash
# The bio path on CUDA, on SYNTHETIC data: every pre-training method (fp32, and bf16 for masking),
# fine-tuning, and the released bio checkpoints (CPU vs CUDA outputs), in a few minutes on one GPU.
#
#   scripts/bio_gpu_check.sh [CHECKPOINT_DIR]   (default ../shared/data/checkpoints/bio; skipped if absent)
#   ONLY_CHECKPOINTS=1: only the released-checkpoint part
#
# Writes its log, bio_gpu_check.txt, to $OUT if set, else to results/bio_gpu_check/.
set -euo pipefail
cd "$(dirname "$0")/.."
CKPT="${1:-${PRETRAIN_GNNS_SHARED:-../shared/data}/checkpoints/bio}"
DEST="${OUT:-results/bio_gpu_check}"
mkdir -p "$DEST"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
WORK=$(mktemp -d)
exec > >(tee "$DEST/bio_gpu_check.txt") 2>&1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
python3 -c "import torch, torch_geometric; print('torch', torch.__version__, 'pyg', torch_geometric.__version__, 'cuda', torch.cuda.is_available())"
python3 -m bio.synthetic --data-root "$WORK/data" | tail -1
COMMON=(--data-root "$WORK/data" --device cuda --quiet --epochs 3)
[[ ${ONLY_CHECKPOINTS:-0} == 1 ]] || {
for m in masking contextpred edgepred infomax; do
    python3 -m "bio.pretrain_$m" "${COMMON[@]}" --output_model_file "$WORK/gin_$m" | tail -2
done
python3 -m bio.pretrain_masking "${COMMON[@]}" --precision bf16 | tail -1
python3 -m bio.pretrain_supervised "${COMMON[@]}" --input_model_file "$WORK/gin_masking" \
    --output_model_file "$WORK/gin_supervised_masking" | tail -1
python3 -m bio.finetune "${COMMON[@]}" --model_file "$WORK/gin_supervised_masking.pth" --output-dir "$WORK/ft" | tail -1
python3 -m bio.finetune "${COMMON[@]}" --precision bf16 --output-dir "$WORK/ft" --filename bf16_scratch | tail -1
}
if [[ -d $CKPT ]]; then
    python3 - "$CKPT" "$WORK/data" <<'EOF'
import glob, os, sys, time
import torch
from bio.loader import BioDataset
from bio.model import GNN_graphpred
ckpt, data = sys.argv[1], sys.argv[2]
ds = BioDataset(os.path.join(data, "supervised"))
batch = ds.batch(range(256))
for path in sorted(glob.glob(os.path.join(ckpt, "*.pth"))):
    torch.manual_seed(0)
    model = GNN_graphpred(5, 300, ds.num_tasks, gnn_type=os.path.basename(path).split("_")[0])
    model.from_pretrained(path)
    model.eval()
    with torch.no_grad():
        cpu = model(batch)
        gpu_model, gpu_batch = model.cuda(), batch.clone().cuda()  # .cuda() moves a Batch in place
        gpu = gpu_model(gpu_batch)
        torch.cuda.synchronize()
        t = time.perf_counter()
        for _ in range(20):
            gpu_model(gpu_batch)
        torch.cuda.synchronize()
        ms = (time.perf_counter() - t) / 20 * 1e3
        with torch.autocast("cuda", dtype=torch.bfloat16):
            bf = gpu_model(gpu_batch).float()
    print(f"{os.path.basename(path):32s} max |cpu - cuda| {(cpu - gpu.cpu()).abs().max():.2e}  "
          f"max |fp32 - bf16| {(gpu - bf).abs().max():.2e}  eval 256 graphs {ms:.1f} ms")
EOF
else
    echo "no checkpoints at $CKPT: released-checkpoint check skipped"
fi
rm -rf "$WORK"
