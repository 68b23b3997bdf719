#!/usr/bin/env bash
# Runs on the GPU machine: MLNetCnn's trainer on CUDA through TorchSharp 0.107 loaded against the Python environment's CUDA
# libtorch, against a hand-written TorchSharp loop and PyTorch eager on the same GPU (bench/TrainingThroughput --device cuda).
# Usage: bash bench/cuda/run.sh ARCHIVE [OUTPUT_FOLDER]
set -x
archive="$1"; out="${2:-.}"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
torch_lib=$(python3 -c "import torch, os; print(os.path.join(os.path.dirname(torch.__file__), 'lib'))")
python3 -c "import torch; print(torch.__version__, torch.version.cuda, torch.cuda.is_available())"
work=$(mktemp -d) && tar xJf "$archive" -C "$work"
export LD_LIBRARY_PATH=$torch_lib:${LD_LIBRARY_PATH:-}
cd "$work/app"
ldd -r libLibTorchSharp.so 2>&1 | grep -E "libtorch|libc10|not found|undefined" | head -20
peer="--python python3 --threads 8 --device cuda"
timeout 200 ./TrainingThroughput --arch resnet18 --channels 3 --size 32 --batch 256 --rows 12800 --epochs 2 --repeats 3 --score-check 1 $peer 2>&1 | tee "$out/cifar.log"
timeout 200 ./TrainingThroughput --arch resnet50 --channels 3 --size 224 --batch 64 --rows 1280 --epochs 1 --repeats 3 $peer 2>&1 | tee "$out/imagenet.log"
