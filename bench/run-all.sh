#!/usr/bin/env bash
# Runs every benchmark back to back and writes their Markdown tables to bench/results.md (or the file given).
# PyTorch peers run when Debian 13's python3-torch is installed (eng/setup.sh --pytorch); time to accuracy needs
# Fashion-MNIST (eng/setup.sh --data). About an hour on 2 cores (time to accuracy alone, 5 runs each, takes 35 minutes).
# Usage: bash bench/run-all.sh [results.md]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-bench/results.md}"
python=/usr/bin/python3.13
peer=()
if "$python" -c 'import torch, torchvision' 2>/dev/null; then
  peer=(--python "$python")
else
  echo "No python with torch at $python: PyTorch columns stay empty (run eng/setup.sh --pytorch)." >&2
fi

dotnet build -c Release MLNetCnn.sln -v quiet -nologo >/dev/null
run() { dotnet run -c Release --no-build --project "bench/$1" -- "${@:2}"; }

{
  echo "# MLNetCnn benchmarks"
  echo
  features="$(grep -oE 'avx2|avx512f|avx512_vnni|avx512_bf16|amx_tile' /proc/cpuinfo | sort -u | paste -sd, - || true)"
  echo "$(date -u +%Y-%m-%d), $(lscpu | sed -n 's/^Model name: *//p') (${features:-no AVX}), $(nproc) cores visible, 2 threads everywhere;"
  echo ".NET $(dotnet --version), TorchSharp 0.107.0 (libtorch CPU), ONNX Runtime 1.31.1$( [ ${#peer[@]} -gt 0 ] && echo ", PyTorch $("$python" -c 'import torch; print(torch.__version__)')" )."
  echo "Medians of 5 or more alternating runs (9 for training throughput); ratios are against the baseline named in each table, run in the same process or back to back."
  echo
  echo "## Training throughput (images/s, random images already in an IDataView, one epoch per run; end to end includes model creation)"
  echo
  echo "| model, input, batch | measured | hand-written TorchSharp | ML.NET trainer (vs hand) | PyTorch eager | trainer vs PyTorch |"
  echo "|---|---|---:|---:|---:|---:|"
  run TrainingThroughput --arch resnet18 --channels 3 --size 32 --batch 64 --rows 1280 --repeats 9 "${peer[@]}"
  run TrainingThroughput --arch resnet20 --channels 1 --size 28 --batch 128 --rows 2560 --repeats 9 "${peer[@]}"
  # Small data, which most users have: the fixed costs of Fit show (model creation, reading the IDataView, validation of the columns).
  run TrainingThroughput --arch resnet18 --channels 3 --size 32 --batch 64 --rows 1280 --epochs 2 --repeats 9 "${peer[@]}"
  # The same with the default recipe's optimiser: TorchSharp's AdamW in the hand loop, PyTorch's fused=True.
  run TrainingThroughput --arch resnet18 --channels 3 --size 32 --batch 64 --rows 1280 --epochs 2 --repeats 9 --optimizer adamw "${peer[@]}"
  echo
  echo "## Where a training step's time goes (resnet18 3x32x32 b64, ms per step; the optimiser's step includes zero_grad)"
  echo
  run OptimizerStep --repeats 5 "${peer[@]}"
  echo
  echo "## bf16 mixed precision against float32 (training steps, images/s; the trainer's route against PyTorch's autocast)"
  echo
  run MixedPrecision --repeats 3 "${peer[@]}"
  echo
  echo "## Training from photo files, Fit end to end (resnet18 at 224, against PyTorch's ImageFolder + DataLoader)"
  echo
  run PhotoTraining --repeats 3 "${peer[@]}"
  echo
  echo "## Where a training step's time goes (resnet18 at 224 from photo files: reading once, then each step's phases)"
  echo
  run StepBreakdown --repeats 3
  echo
  echo "## Channels-last against contiguous batches (train and eval images/s; what CnnMemoryFormat.Auto is chosen from)"
  echo
  run ChannelsLast --repeats 3 "${peer[@]}"
  echo
  echo "## Featurization throughput (ResNet-18 pre-logits features at 3x224x224, 64 cached rows)"
  echo
  run Inference --rows 64 --repeats 5 "${peer[@]}"
  echo
  echo "## Int8 against fp32 (ImageNet ResNet-18 from image files; Fashion-MNIST resnet20 accuracy)"
  echo
  run Quantization --rows 96 --repeats 5 --fashion-mnist /usr/share/datasets/fashion-mnist "${peer[@]}"
  echo
  echo "## Scoring latency and allocations per call (BenchmarkDotNet, resnet20 3x32x32, 10 classes)"
  echo
  artifacts=$(mktemp -d)
  run Prediction --filter '*' --artifacts "$artifacts" >&2
  grep '^|' "$artifacts"/results/*-report-github.md
  rm -rf "$artifacts"
  echo
  echo "## Resizing (ms per image, 256 in-memory images, one-convolution network)"
  echo
  run Resize --rows 256 --repeats 5
  echo
  echo "## Training memory (one run each)"
  echo
  run TrainingMemory --rows 6000 --epochs 10 "${peer[@]}"
  echo
  echo "## Time to accuracy (5 alternating runs each, full Fashion-MNIST)"
  echo
  run TimeToAccuracy --epochs 2 --repeats 5 "${peer[@]}"
} > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out" >&2
