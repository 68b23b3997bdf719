"""Training steps (SGD) and eval forwards of one architecture over one random batch, the measure bench/pytorch's step-level
peers share: contiguous or channels-last (model and batch both converted, as PyTorch's tuning guide says), fp32 or under
torch.autocast("cpu", torch.bfloat16). Returns the images/s medians of training and of eval, the first step a warm-up."""
import statistics, time, torch, torch.nn.functional as F
from models import create


def measure(arch, size, batch, steps, channels_last, bf16=False):
    torch.manual_seed(1)
    model = create(arch, 10, 3)
    x = torch.randn(batch, 3, size, size)
    y = torch.randint(0, 10, (batch,))
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), 0.01, momentum=0.9)
    model.train()
    train = []
    for step in range(steps + 1):
        start = time.perf_counter()
        optimizer.zero_grad()
        with torch.autocast("cpu", torch.bfloat16, enabled=bf16):
            output = model(x)
        F.cross_entropy(getattr(output, "logits", output).float(), y).backward()   # torchvision's GoogLeNet trains with auxiliary heads
        optimizer.step()
        train.append(time.perf_counter() - start)
    model.eval()
    evaluate = []
    with torch.no_grad(), torch.autocast("cpu", torch.bfloat16, enabled=bf16):
        for step in range(steps + 1):
            start = time.perf_counter()
            model(x)
            evaluate.append(time.perf_counter() - start)
    return batch / statistics.median(train[1:]), batch / statistics.median(evaluate[1:])
