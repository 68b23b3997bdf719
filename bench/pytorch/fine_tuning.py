"""PyTorch eager peer of bench/FineTuning: the ImageNet ResNet-18 of ML.NET's DnnImageFeaturizer (CNTK's layout: blocks
2-2-2-3, "same" padding with the odd pixel first), loaded from the .pt file our writer exported, fine-tuned on a Fashion-MNIST
subset with MLNetCnn's recipe: images resized (bilinear) to --size and repeated into 3 channels, scaled and standardised
with the weights' normalisation; the head alone for --freeze epochs (backbone weights and batch-norm statistics frozen),
then everything with the backbone at --backbone-factor times the rate; Adam with L2 weight decay, warm-up then cosine per
step, random crops (zero padding) and flips, --smoothing label smoothing; the test scores average each image's and its
mirror image's probabilities unless --tta-flip 0. Prints one JSON line: test accuracy and training seconds (evaluation excluded)."""
import argparse, gzip, json, math, time
import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from recipe import augment, rate_at

p = argparse.ArgumentParser()
p.add_argument("--weights", required=True); p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
p.add_argument("--train", type=int, default=1000); p.add_argument("--test", type=int, default=10000)
p.add_argument("--size", type=int, default=64); p.add_argument("--epochs", type=int, default=30); p.add_argument("--freeze", type=int, default=2)
p.add_argument("--lr", type=float, default=0.001); p.add_argument("--backbone-factor", type=float, default=1.0)
p.add_argument("--smoothing", type=float, default=0.1); p.add_argument("--tta-flip", type=int, default=1)
p.add_argument("--batch", type=int, default=32); p.add_argument("--wd", type=float, default=1e-4); p.add_argument("--warmup", type=float, default=0.5)
p.add_argument("--padding", type=int, default=8); p.add_argument("--scale", type=float, required=True)
p.add_argument("--mean", required=True); p.add_argument("--std", required=True)
p.add_argument("--threads", type=int, default=2); p.add_argument("--seed", type=int, default=1)
a = p.parse_args()
torch.set_num_threads(a.threads)
mean = torch.tensor([float(v) for v in a.mean.split(",")]).view(1, 3, 1, 1)
std = torch.tensor([float(v) for v in a.std.split(",")]).view(1, 3, 1, 1)


def idx(name, offset, count, shape):
    with gzip.open(f"{a.data}/{name}") as f:
        values = np.frombuffer(f.read(), dtype=np.uint8)[offset:]
    return torch.from_numpy(values.copy()).reshape(-1, *shape)[:count]


def resized(images):
    """uint8 N x 1 x 28 x 28 to float N x 3 x size x size, 0-255, as the trainer reads vectors (bilinear, half-pixel centres)."""
    return F.interpolate(images.float(), size=(a.size, a.size), mode="bilinear", align_corners=False).repeat(1, 3, 1, 1)


class CntkResNet18(torchvision.models.ResNet):
    """torchvision's ResNet with CNTK's ResNet-18 layout: the keys match ours, the padding is explicit and asymmetric."""

    def __init__(self):
        super().__init__(torchvision.models.resnet.BasicBlock, [2, 2, 2, 3])
        self._pad_before(self.conv1, [3, 2, 3, 2])                    # 7x7 stride 2: 5 pixels, 3 before
        self.maxpool.padding = 0
        self._pad_before(self.maxpool, [1, 0, 1, 0], float("-inf"))   # 3x3 stride 2: 1 pixel, before
        for layer in (self.layer2, self.layer3, self.layer4):
            self._pad_before(layer[0].conv1, [1, 0, 1, 0])              # strided 3x3 convolutions: 1 pixel, before

    @staticmethod
    def _pad_before(module, pads, value=0.0):
        if isinstance(module, torch.nn.Conv2d):
            module.padding = (0, 0)
        forward = module.forward
        module.forward = lambda x: forward(F.pad(x, pads, value=value))


train_x = resized(idx("train-images-idx3-ubyte.gz", 16, a.train, (1, 28, 28)))
train_y = idx("train-labels-idx1-ubyte.gz", 8, a.train, ()).long()
test_x = resized(idx("t10k-images-idx3-ubyte.gz", 16, a.test, (1, 28, 28)))
test_y = idx("t10k-labels-idx1-ubyte.gz", 8, a.test, ()).long()

torch.manual_seed(a.seed)
generator = torch.Generator().manual_seed(a.seed)
model = CntkResNet18()
# The imported network keeps its layers under "body." beside the mean image it was trained with (used by our normalisation).
state = {k.removeprefix("body."): v for k, v in torch.load(a.weights).items() if k != "mean_image"}
model.load_state_dict(state)
model.fc = torch.nn.Linear(512, 10)   # the head reset to the label's classes
backbone = [p for n, p in model.named_parameters() if not n.startswith("fc.")]
norms = [m for n, m in model.named_modules() if not n.startswith("fc") and isinstance(m, torch.nn.BatchNorm2d)]
optimizer = torch.optim.Adam([{"params": backbone}, {"params": model.fc.parameters()}], lr=a.lr, weight_decay=a.wd)

steps = math.ceil(a.train / a.batch)
seconds = 0.0
for epoch in range(a.epochs):
    start = time.perf_counter()
    frozen = epoch < a.freeze
    for p_ in backbone:
        p_.requires_grad = not frozen
    model.train()
    if frozen:
        for norm in norms:
            norm.eval()
    order = torch.randperm(a.train, generator=generator)
    for step in range(steps):
        rate = rate_at(a.lr, epoch, step, steps, a.epochs, a.warmup)
        optimizer.param_groups[0]["lr"] = rate * a.backbone_factor
        optimizer.param_groups[1]["lr"] = rate
        index = order[step * a.batch:(step + 1) * a.batch]
        x = (augment(train_x[index] * a.scale, a.padding, True, generator) - mean) / std
        optimizer.zero_grad()
        F.cross_entropy(model(x), train_y[index], label_smoothing=a.smoothing).backward()
        optimizer.step()
    seconds += time.perf_counter() - start

model.eval()
correct = 0
with torch.inference_mode():
    for first in range(0, a.test, 250):
        x = (test_x[first:first + 250] * a.scale - mean) / std
        scores = model(x).softmax(1) + model(x.flip(3)).softmax(1) if a.tta_flip else model(x)
        correct += (scores.argmax(1) == test_y[first:first + 250]).sum().item()
print(json.dumps({"accuracy": correct / a.test, "seconds": round(seconds, 1)}))
