"""PyTorch eager peer of bench/TrainingMemory: resnet20 (--arch) for 10 epochs (--epochs) on the same kind of synthetic 28x28 data (noise
plus a class stripe), batch 128, crops and flips, a tenth held out. Prints resident memory per epoch and the peak, MiB."""
import argparse, json, resource
import torch
from models import create
from recipe import train_epoch, accuracy

p = argparse.ArgumentParser()
p.add_argument("--rows", type=int, default=6000); p.add_argument("--epochs", type=int, default=10)
p.add_argument("--threads", type=int, default=2); p.add_argument("--arch", default="resnet20")
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(1)
labels = torch.arange(a.rows) % 10
images = torch.randint(0, 80, (a.rows, 1, 28, 28), dtype=torch.uint8)
for i in range(a.rows):
    images[i, 0, 2 + 2 * labels[i].item(), :] = 255
held = a.rows // 10
generator = torch.Generator().manual_seed(1)
model = create(a.arch, 10, 1)
optimizer = torch.optim.SGD(model.parameters(), 0.05, momentum=0.9, weight_decay=5e-4)


def resident_mib():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


resident = []
for epoch in range(a.epochs):
    train_epoch(model, optimizer, images[held:], labels[held:], 0.0, 1.0, epoch, a.epochs, 128, 0.05, 0, 2, True, generator)
    accuracy(model, images[:held], labels[:held], 0.0, 1.0)
    resident.append(round(resident_mib(), 1))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"resident_mib": resident, "peak_mib": round(peak, 1)}))
