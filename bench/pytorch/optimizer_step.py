"""PyTorch peer of bench/OptimizerStep: milliseconds per training step in each phase (forward with the loss, backward,
the optimiser's step with zero_grad), averaged over the steps after three warm-up steps, for the default recipe's AdamW
(0.002, decay 5e-4; PyTorch's default foreach step, or fused=True) or the SGD recipe's SGD (0.1, momentum 0.9, Nesterov,
5e-4; foreach). Prints the three figures."""
import argparse, time, torch, torch.nn.functional as F
from models import create

p = argparse.ArgumentParser()
p.add_argument("--arch", default="resnet18"); p.add_argument("--channels", type=int, default=3)
p.add_argument("--size", type=int, default=32); p.add_argument("--batch", type=int, default=64)
p.add_argument("--steps", type=int, default=20); p.add_argument("--threads", type=int, default=2)
p.add_argument("--optimizer", choices=["adamw", "adamw-fused", "sgd"], default="adamw")
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(1)
model = create(a.arch, 10, a.channels).train()
if a.optimizer == "sgd":
    optimizer = torch.optim.SGD(model.parameters(), 0.1, momentum=0.9, weight_decay=5e-4, nesterov=True, foreach=True)
else:
    fused = a.optimizer == "adamw-fused"
    optimizer = torch.optim.AdamW(model.parameters(), 0.002, weight_decay=5e-4, foreach=None if fused else True, fused=fused or None)
images = torch.randn(a.batch, a.channels, a.size, a.size)
targets = torch.randint(0, 10, (a.batch,))
forward = backward = step = 0.0
for s in range(a.steps + 3):
    start = time.perf_counter()
    loss = F.cross_entropy(model(images), targets)
    loss.item()
    after_forward = time.perf_counter()
    loss.backward()
    after_backward = time.perf_counter()
    optimizer.step()
    optimizer.zero_grad()
    after_step = time.perf_counter()
    if s >= 3:
        forward += after_forward - start; backward += after_backward - after_forward; step += after_step - after_backward
print(f"{1000 * forward / a.steps:.3f} {1000 * backward / a.steps:.3f} {1000 * step / a.steps:.3f}")
