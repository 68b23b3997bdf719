"""PyTorch eager peer of bench/ChannelsLast: one architecture's training steps (SGD) and eval forwards over one random batch,
contiguous and channels-last (bench/pytorch/steps.py). Prints four images/s medians: train contiguous, train channels-last,
eval contiguous, eval channels-last."""
import argparse, torch
from steps import measure

p = argparse.ArgumentParser()
p.add_argument("--arch", default="resnet18"); p.add_argument("--size", type=int, default=32)
p.add_argument("--batch", type=int, default=64); p.add_argument("--steps", type=int, default=5)
p.add_argument("--threads", type=int, default=2)
a = p.parse_args()
torch.set_num_threads(a.threads)
(tc, ec), (tl, el) = (measure(a.arch, a.size, a.batch, a.steps, channels_last) for channels_last in (False, True))
print(f"{tc:.2f} {tl:.2f} {ec:.2f} {el:.2f}")
