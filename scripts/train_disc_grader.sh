#!/usr/bin/env bash
# Reproduce the shipped disc grader (src/spinepath/models/disc_grader.onnx).
# Needs the train extra (torch): .venv/bin/pip install torch==2.13.0
# Usage: bash scripts/train_disc_grader.sh [SPIDER_DEV_DIR] [WORK_DIR] [EPOCHS] [CROP_ROWS] [CROP_COLS]
set -euo pipefail
data=${1:-../shared/data/spider-dev}
work=${2:-/tmp/spinepath-grader}
epochs=${3:-40}
rows=${4:-64}
cols=${5:-96}
mkdir -p "$work"
# 1. segment every T2/T1 slice with the shipped segmenter; crops + measurements per graded disc
.venv/bin/python - "$data" "$work/discs.npz" "$rows" "$cols" <<'PY'
import sys
from pathlib import Path
from spinepath.grade.dataset import build
from spinepath.segment.onnx_model import OnnxSegmenter
shape = (int(sys.argv[3]), int(sys.argv[4]))
build(Path(sys.argv[1]), segmenter=OnnxSegmenter(threads=1), crop_shape=shape).save(Path(sys.argv[2]))
PY
# 2. 5-fold patient-wise cross-validation; out-of-fold figures; the 5 fold models -> ONNX ensemble
.venv/bin/python -m spinepath.grade.train.trainer "$work/discs.npz" "$work/cv" \
  --folds 5 --epochs "$epochs" --threads 2
echo "model: $work/cv/disc_grader.onnx  out-of-fold predictions: $work/cv/oof.npz"
