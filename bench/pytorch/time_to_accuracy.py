"""PyTorch eager peer of bench/TimeToAccuracy: resnet20 on Fashion-MNIST with the samples' recipe (batch 128, SGD 0.1
Nesterov, weight decay 5e-4, 0.2 epochs warm-up then cosine, crop padding 2, flips). Test accuracy after each epoch
and the training seconds so far (evaluation excluded). Prints one JSON line."""
import argparse, gzip, json, time
import numpy as np
import torch
from models import create
from recipe import train_epoch, accuracy

p = argparse.ArgumentParser()
p.add_argument("--data", default="/usr/share/datasets/fashion-mnist"); p.add_argument("--epochs", type=int, default=2)
p.add_argument("--arch", default="resnet20"); p.add_argument("--threads", type=int, default=2)
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
optimizer = torch.optim.SGD(model.parameters(), 0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
seconds, epochs = 0.0, []
for epoch in range(a.epochs):
    start = time.perf_counter()
    train_epoch(model, optimizer, train_x, train_y, mean, std, epoch, a.epochs, 128, 0.1, 0.2, 2, True, generator)
    seconds += time.perf_counter() - start
    epochs.append({"epoch": epoch + 1, "seconds": round(seconds, 1), "accuracy": accuracy(model, test_x, test_y, mean, std)})
print(json.dumps({"epochs": epochs}))
