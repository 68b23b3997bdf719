"""PyTorch eager peer of bench/TimeToAccuracy: resnet20 on Fashion-MNIST with the samples' recipe (batch 128, SGD 0.1
Nesterov, weight decay 5e-4, 0.2 epochs warm-up then cosine, crop padding 2, flips) or their fast recipe (SGD 0.2,
0.1 epochs warm-up, label smoothing 0.1, weight average decay 0.99, test-time flip; --without drops ingredients; the batch
size and crop padding come from bench/TimeToAccuracy, 64 and 0 for the fast recipe).
Test accuracy after each epoch (of the averaged weights when there are) and the training seconds so far (evaluation
excluded). Prints one JSON line."""
import argparse, copy, gzip, json, time
import numpy as np
import torch
from models import create
from recipe import WeightAverage, train_epoch, accuracy

p = argparse.ArgumentParser()
p.add_argument("--data", default="/usr/share/datasets/fashion-mnist"); p.add_argument("--epochs", type=int, default=2)
p.add_argument("--arch", default="resnet20"); p.add_argument("--threads", type=int, default=2)
p.add_argument("--recipe", default="plain", choices=["plain", "fast"]); p.add_argument("--without", default="")
p.add_argument("--lr", type=float); p.add_argument("--batch", type=int, default=128); p.add_argument("--padding", type=int, default=2)
p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")   # bf16: autocast + channels-last, PyTorch's fastest CPU training
a = p.parse_args()
torch.set_num_threads(a.threads)


def idx(name, offset):
    with gzip.open(f"{a.data}/{name}") as f:
        return torch.from_numpy(np.frombuffer(f.read(), dtype=np.uint8)[offset:].copy())


train_x = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)
train_y = idx("train-labels-idx1-ubyte.gz", 8).long()
test_x = idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)
test_y = idx("t10k-labels-idx1-ubyte.gz", 8).long()
scaled = train_x.float() / 255
mean, std = scaled.mean().item(), scaled.std().item()

torch.manual_seed(1)
generator = torch.Generator().manual_seed(1)
model = create(a.arch, 10, 1)
bf16 = a.precision == "bf16"
if bf16:
    model = model.to(memory_format=torch.channels_last)
fast, without = a.recipe == "fast", a.without.split(",")
rate = a.lr or (0.2 if fast else 0.1)
warmup = 0.1 if fast else 0.2
smoothing = 0.1 if fast and "smoothing" not in without else 0.0
average = WeightAverage(model, 0.99) if fast and "ema" not in without else None
flip = fast and "flip" not in without
optimizer = torch.optim.SGD(model.parameters(), rate, momentum=0.9, nesterov=True, weight_decay=5e-4)
seconds, epochs = 0.0, []
for epoch in range(a.epochs):
    start = time.perf_counter()
    train_epoch(model, optimizer, train_x, train_y, mean, std, epoch, a.epochs, a.batch, rate, warmup, a.padding, True, generator, smoothing, average, bf16)
    seconds += time.perf_counter() - start
    own = copy.deepcopy(model.state_dict()) if average else None
    if average:
        average.apply()   # validation sees the averaged weights, as ours does
    epochs.append({"epoch": epoch + 1, "seconds": round(seconds, 1), "accuracy": accuracy(model, test_x, test_y, mean, std, flip=flip)})
    if own:
        model.load_state_dict(own)
print(json.dumps({"epochs": epochs}))
