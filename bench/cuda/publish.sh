#!/usr/bin/env bash
# Packs bench/TrainingThroughput for a GPU machine that has PyTorch (with CUDA) but no .NET and no CUDA TorchSharp package:
# a self-contained publish without TorchSharp-cpu's libtorch (the GPU machine's PyTorch libtorch replaces it), as one
# archive small enough to carry. Usage (here): bash bench/cuda/publish.sh [out.tar.xz]; there: bash bench/cuda/run.sh ARCHIVE
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-bench/cuda/app.tar.xz}"
work=$(mktemp -d)
dotnet publish bench/TrainingThroughput -c Release -r linux-x64 --self-contained -o "$work/app" -v quiet -nologo
# libLibTorchSharp.so stays: it links libtorch.so, libc10.so and libtorch_cpu.so by name, found on LD_LIBRARY_PATH there.
(cd "$work/app" && rm -f libtorch*.so libc10.so libaoti_custom_ops.so libbackend_with_compiler.so libjitbackend_test.so \
  libnnapi_backend.so libshm.so libgomp-*.so.1 ./*.pdb ./*.dbg)
tar cJf "$out" -C "$work" app
rm -rf "$work"
echo "wrote $out ($(du -h "$out" | cut -f1))" >&2
