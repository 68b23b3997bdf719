"""PyTorch peer of bench/Quantization: torchvision's resnet18 pre-logits features at 3x224x224, batch 32, in fp32 eager and
as PyTorch's own int8 (FX graph-mode post-training static quantization, the oneDNN backend (Debian's build has no x86 engine)'s default qconfig, calibrated on the
same number of rows). Tensors already in memory: no decoding or resizing. Prints one JSON line of images/s."""
import argparse, json, time, torch
from torch.ao.quantization import get_default_qconfig_mapping
from torch.ao.quantization.quantize_fx import prepare_fx, convert_fx
from models import create

p = argparse.ArgumentParser()
p.add_argument("--rows", type=int, default=64); p.add_argument("--threads", type=int, default=2)
p.add_argument("--calibration", type=int, default=64)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(1)
model = create("resnet18", 1000, 3).eval()
model.fc = torch.nn.Identity()
images = torch.rand(a.rows, 3, 224, 224) * 4 - 2


def throughput(m, batch=32):
    with torch.inference_mode():
        m(images[:batch])  # warm-up
        start = time.perf_counter()
        for first in range(0, a.rows, batch):
            m(images[first:first + batch])
        return a.rows / (time.perf_counter() - start)


torch.backends.quantized.engine = "onednn"
prepared = prepare_fx(model, get_default_qconfig_mapping("onednn"), example_inputs=(images[:1],))
with torch.inference_mode():
    for first in range(0, a.calibration, 32):
        prepared(images[first:first + 32])
quantized = convert_fx(prepared)
result = {"fp32_b32": throughput(model), "int8_b32": throughput(quantized)}
print(json.dumps({k: round(v, 1) for k, v in result.items()}))
