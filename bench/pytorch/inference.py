"""PyTorch eager peer of bench/Inference: torchvision's resnet18 pre-logits features at 3x224x224 in eval mode under
inference_mode, batch 1 and batch 32 (NCHW, and channels-last as PyTorch's own lever), and batch 32 under
torch.autocast("cpu", torch.bfloat16) with channels-last (its fastest float inference, on CPUs with bf16 units). Prints one JSON line."""
import argparse, json, time, torch
from models import create

p = argparse.ArgumentParser()
p.add_argument("--rows", type=int, default=64); p.add_argument("--threads", type=int, default=2)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(1)
model = create("resnet18", 1000, 3).eval()
model.fc = torch.nn.Identity()
images = torch.rand(a.rows, 3, 224, 224)


def throughput(batch, channels_last=False, bf16=False):
    m = model.to(memory_format=torch.channels_last) if channels_last else model
    with torch.inference_mode(), torch.autocast("cpu", torch.bfloat16, enabled=bf16):
        m(images[:batch].contiguous(memory_format=torch.channels_last) if channels_last else images[:batch])  # warm-up
        start = time.perf_counter()
        for first in range(0, a.rows, batch):
            x = images[first:first + batch]
            m(x.contiguous(memory_format=torch.channels_last) if channels_last else x)
        return a.rows / (time.perf_counter() - start)


result = {"b1": throughput(1), "b32": throughput(32), "b32_channels_last": throughput(32, True),
          "b32_bf16_channels_last": throughput(32, True, True)}
print(json.dumps({k: round(v, 1) for k, v in result.items()}))
