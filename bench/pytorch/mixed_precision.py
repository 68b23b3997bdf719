"""PyTorch eager peer of bench/MixedPrecision: one architecture's training steps (SGD) over one random batch at fp32, fp32
channels-last, torch.autocast("cpu", torch.bfloat16) and autocast with channels-last (bench/pytorch/steps.py). Prints the four
training images/s medians in that order."""
import argparse, torch
from steps import measure

p = argparse.ArgumentParser()
p.add_argument("--arch", default="resnet18"); p.add_argument("--size", type=int, default=32)
p.add_argument("--batch", type=int, default=64); p.add_argument("--steps", type=int, default=4)
p.add_argument("--threads", type=int, default=2)
a = p.parse_args()
torch.set_num_threads(a.threads)
settings = ((False, False), (True, False), (False, True), (True, True))   # (channels_last, bf16)
print(" ".join(f"{measure(a.arch, a.size, a.batch, a.steps, cl, bf16)[0]:.2f}" for cl, bf16 in settings))
