"""PyTorch peer of bench/Quantization: torchvision's resnet18 pre-logits features at 3x224x224, batch 32, in fp32 eager and
as PyTorch's own int8 (FX graph-mode post-training static quantization, the oneDNN backend (Debian's build has no x86 engine)'s
default qconfig, calibrated on the same number of rows), and with --bf16 autocast bf16 + channels-last. Two inputs: tensors already in memory (no decoding or resizing), and,
with --files DIR, the benchmark's JPEG/PNG files decoded by PIL, resized to 224x224 (bilinear) and normalised per batch, as our
featurizer reads them. Prints one JSON line of images/s."""
import argparse, copy, json, os, time, torch
import torchvision.transforms.functional as TF
from PIL import Image
from torch.ao.quantization import get_default_qconfig_mapping
from torch.ao.quantization.quantize_fx import prepare_fx, convert_fx
from models import create

p = argparse.ArgumentParser()
p.add_argument("--rows", type=int, default=64); p.add_argument("--threads", type=int, default=2)
p.add_argument("--calibration", type=int, default=64)
p.add_argument("--files", default=None, help="a folder of images to read, decode and resize in the timed loop")
p.add_argument("--bf16", action="store_true", help="also autocast bf16 + channels-last (for CPUs with bf16 units)")
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(1)
model = create("resnet18", 1000, 3).eval()
model.fc = torch.nn.Identity()
images = torch.rand(a.rows, 3, 224, 224) * 4 - 2
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def in_memory(batch=32):
    for first in range(0, a.rows, batch):
        yield images[first:first + batch]


def from_files(batch=32):
    paths = sorted(os.path.join(a.files, name) for name in os.listdir(a.files))
    for first in range(0, len(paths), batch):
        pixels = [TF.pil_to_tensor(Image.open(path).convert("RGB").resize((224, 224), Image.BILINEAR)) for path in paths[first:first + batch]]
        yield TF.normalize(torch.stack(pixels).float().div_(255), MEAN, STD)


def throughput(m, batches):
    with torch.inference_mode():
        m(images[:32])  # warm-up
        start, count = time.perf_counter(), 0
        for batch in batches():
            m(batch)
            count += len(batch)
        return count / (time.perf_counter() - start)


torch.backends.quantized.engine = "onednn"
prepared = prepare_fx(model, get_default_qconfig_mapping("onednn"), example_inputs=(images[:1],))
with torch.inference_mode():
    for first in range(0, a.calibration, 32):
        prepared(images[first:first + 32])
quantized = convert_fx(prepared)
result = {"fp32_b32": throughput(model, in_memory), "int8_b32": throughput(quantized, in_memory)}
if a.files:
    result.update({"fp32_b32_files": throughput(model, from_files), "int8_b32_files": throughput(quantized, from_files)})
if a.bf16:
    # PyTorch's best on a CPU with bf16 units: autocast to bf16 over a channels-last network and batches.
    channels_last = copy.deepcopy(model).to(memory_format=torch.channels_last)
    def autocast_bf16(x):
        with torch.autocast("cpu", torch.bfloat16):
            return channels_last(x.contiguous(memory_format=torch.channels_last))
    result["bf16+channels-last_b32"] = throughput(autocast_bf16, in_memory)
    if a.files:
        result["bf16+channels-last_b32_files"] = throughput(autocast_bf16, from_files)
print(json.dumps({k: round(v, 1) for k, v in result.items()}))
