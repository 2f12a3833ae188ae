#!/usr/bin/env bash
# One GPU session (the device tool's machine; torch there, no data readers): trains two
# segmenter variants on the slice pack and sweeps grader configurations at the same time.
#
# Needs, in the repository root (ignored folder .devpack, carried to the machine):
#   .devpack/seg/train.npz.xz  from spinepath.segment.train.data.write_training_packs
#   .devpack/discs.npz         from spinepath.grade.dataset.build (scripts/train_disc_grader.sh)
# Usage: bash scripts/device/gpu_session.sh OUT [SEG_MINUTES] [GRADER_DEADLINE_S] [EPOCH_SCALE]
# A CPU dry run: DEVICE=cpu bash scripts/device/gpu_session.sh /tmp/dry 0.05 40 0.05
set -u
out=$1
seg_minutes=${2:-5.5}
grader_deadline=${3:-330}
epoch_scale=${4:-1}
dev=${DEVICE:-cuda}
py=${PYTHON:-python3}
export PYTHONPATH=src PYTHONUNBUFFERED=1
work=$(mktemp -d)
mkdir -p "$out"
exec > >(tee "$out/session.log") 2>&1
date
nvidia-smi -L 2>/dev/null || echo "no nvidia-smi"
$py -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
$py -m spinepath.segment.train.batched .devpack/seg/train.npz.xz "$work/segA" \
  --minutes "$seg_minutes" --batch 32 --crop 256 --device "$dev" --threads 4 \
  > "$work/segA.log" 2>&1 &
pa=$!
$py -m spinepath.segment.train.batched .devpack/seg/train.npz.xz "$work/segB" \
  --minutes "$seg_minutes" --batch 32 --crop 256 --device "$dev" --threads 4 \
  --widths 24,48,64,96,128,192 > "$work/segB.log" 2>&1 &
pb=$!
$py scripts/device/grader_sweep.py .devpack/discs.npz "$work/grader" --device "$dev" \
  --deadline-s "$grader_deadline" --epochs-scale "$epoch_scale" --parallel 4 --keep 2 \
  > "$work/grader_sweep.log" 2>&1
echo "grader sweep done: $(date)"
tail -60 "$work/grader_sweep.log"
# the two best grader variants' members, one file each (float16)
for name in $($py -c "import json,sys; print(' '.join(json.load(open(sys.argv[1]))['ranked'][:2]))" "$work/grader/summary.json" 2>/dev/null); do
  [ -f "$work/grader/$name/members.pt" ] && mv "$work/grader/$name/members.pt" "$out/grader_members_$name.pt"
done
find "$work/grader" -name members.pt -delete
tar -C "$work" -cf "$out/grader.tar" grader grader_sweep.log
wait $pa; echo "segA rc $?"
wait $pb; echo "segB rc $?"
for v in segA segB; do
  cp "$work/$v.log" "$work/$v/" 2>/dev/null
  tail -5 "$work/$v.log"
  tar -C "$work" -cf "$out/$v.tar" "$v"
done
ls -la "$out"
date
