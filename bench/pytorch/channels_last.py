"""PyTorch eager peer of bench/ChannelsLast: one architecture's training steps (SGD) and eval forwards over one random batch,
contiguous and channels-last (model and batch both converted, as PyTorch's tuning guide says). Prints four images/s medians:
train contiguous, train channels-last, eval contiguous, eval channels-last."""
import argparse, statistics, time, torch, torch.nn.functional as F
from models import create

p = argparse.ArgumentParser()
p.add_argument("--arch", default="resnet18"); p.add_argument("--size", type=int, default=32)
p.add_argument("--batch", type=int, default=64); p.add_argument("--steps", type=int, default=5)
p.add_argument("--threads", type=int, default=2)
a = p.parse_args()
torch.set_num_threads(a.threads)


def measure(channels_last):
    torch.manual_seed(1)
    model = create(a.arch, 10, 3)
    x = torch.randn(a.batch, 3, a.size, a.size)
    y = torch.randint(0, 10, (a.batch,))
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), 0.01, momentum=0.9)
    model.train()
    train = []
    for step in range(a.steps + 1):   # the first step warms up
        start = time.perf_counter()
        optimizer.zero_grad()
        output = model(x)
        F.cross_entropy(getattr(output, "logits", output), y).backward()   # torchvision's GoogLeNet trains with auxiliary heads
        optimizer.step()
        train.append(time.perf_counter() - start)
    model.eval()
    evaluate = []
    with torch.no_grad():
        for step in range(a.steps + 1):
            start = time.perf_counter()
            model(x)
            evaluate.append(time.perf_counter() - start)
    return a.batch / statistics.median(train[1:]), a.batch / statistics.median(evaluate[1:])


(tc, ec), (tl, el) = measure(False), measure(True)
print(f"{tc:.2f} {tl:.2f} {ec:.2f} {el:.2f}")
