"""PyTorch eager peer of bench/TrainingThroughput: epochs of SGD (or AdamW, fused=True) over random images already in memory, the
same model, batch and normalisation as the hand-written TorchSharp loop. Prints two images/s figures: the training
loop alone, and end to end (model and optimiser creation included, as in the ML.NET trainer's Fit)."""
import argparse, time, torch, torch.nn.functional as F
from models import create

p = argparse.ArgumentParser()
p.add_argument("--arch", default="resnet20"); p.add_argument("--channels", type=int, default=1)
p.add_argument("--size", type=int, default=28); p.add_argument("--batch", type=int, default=128)
p.add_argument("--rows", type=int, default=2560); p.add_argument("--threads", type=int, default=2)
p.add_argument("--epochs", type=int, default=1); p.add_argument("--device", default="cpu")
p.add_argument("--optimizer", choices=["sgd", "adamw"], default="sgd")
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(1)
images = torch.randint(0, 256, (a.rows, a.channels, a.size, a.size), dtype=torch.uint8)
targets = torch.arange(a.rows) % 10
created = time.perf_counter()
model = create(a.arch, 10, a.channels).to(a.device).train()
if a.optimizer == "adamw":
    optimizer = torch.optim.AdamW(model.parameters(), 0.002, weight_decay=5e-4, fused=True)
else:
    optimizer = torch.optim.SGD(model.parameters(), 0.05, momentum=0.9, weight_decay=5e-4)
start = time.perf_counter()
for epoch in range(a.epochs):
    order = torch.randperm(a.rows)
    for first in range(0, a.rows, a.batch):
        index = order[first:first + a.batch]
        x = (images[index].to(a.device).float() / 255 - 0.5) / 0.25
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), targets[index].to(a.device))
        loss.backward()
        optimizer.step()
        loss.item()
end = time.perf_counter()
seen = a.epochs * a.rows
print(f"{seen / (end - start):.1f} {seen / (end - created):.1f}")
