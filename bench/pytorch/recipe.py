"""MLNetCnn's training recipe in PyTorch, step for step: scale to [0, 1], zero-pad and random-crop, horizontal flip,
per-channel standardisation, SGD with momentum and weight decay, linear warm-up then cosine decay per step; optionally
label smoothing, a timm-style moving average of the weights (WeightAverage) and test-time flipping."""
import math
import torch
import torch.nn.functional as F


def rate_at(base, epoch, step, steps_per_epoch, epochs, warmup):
    progress = epoch + step / steps_per_epoch
    if warmup > 0 and progress < warmup:
        return base * (progress + 1 / steps_per_epoch) / warmup
    span = epochs - warmup
    cosine = 1 if span <= 0 else min(max((progress - warmup) / span, 0), 1)
    return base * 0.5 * (1 + math.cos(math.pi * cosine))


def augment(scaled, padding, flip, generator):
    n, _, h, w = scaled.shape
    if padding:
        padded = F.pad(scaled, [padding] * 4)
        offsets = torch.randint(2 * padding + 1, (n, 2), generator=generator)
        scaled = torch.stack([padded[i, :, y:y + h, x:x + w] for i, (y, x) in enumerate(offsets.tolist())])
    if flip:
        flips = torch.rand(n, 1, 1, 1, generator=generator) < 0.5
        scaled = torch.where(flips, scaled.flip(3), scaled)
    return scaled


class WeightAverage:
    """timm's ModelEmaV2 with warm-up: after update k, average = d * average + (1 - d) * weights, d = min(decay, (1 + k) / (10 + k));
    floating-point buffers are averaged too, integer ones copied."""

    def __init__(self, model, decay):
        self.model, self.decay, self.updates = model, decay, 0
        self.average = {k: v.detach().clone() for k, v in model.state_dict().items()}

    @torch.no_grad()
    def update(self):
        self.updates += 1
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))
        for key, value in self.model.state_dict().items():
            if value.is_floating_point():
                self.average[key].mul_(d).add_(value, alpha=1 - d)
            else:
                self.average[key].copy_(value)

    def apply(self):
        self.model.load_state_dict(self.average)


def train_epoch(model, optimizer, images, targets, mean, std, epoch, epochs, batch, base_rate, warmup, padding, flip, generator,
                smoothing=0.0, average=None, bf16=False):
    """One epoch over uint8 images N x C x H x W; returns (mean loss, training accuracy). With bf16, the forward runs under
    torch.autocast("cpu", torch.bfloat16) on channels-last batches (the model should be channels-last too)."""
    model.train()
    rows = images.shape[0]
    steps = math.ceil(rows / batch)
    order = torch.randperm(rows, generator=generator)
    loss_sum, correct = 0.0, 0
    for step in range(steps):
        for group in optimizer.param_groups:
            group["lr"] = rate_at(base_rate, epoch, step, steps, epochs, warmup)
        index = order[step * batch:(step + 1) * batch]
        x = (augment(images[index].float() / 255, padding, flip, generator) - mean) / std
        if bf16:
            x = x.to(memory_format=torch.channels_last)
        optimizer.zero_grad()
        with torch.autocast("cpu", torch.bfloat16, enabled=bf16):
            logits = model(x).float()
        loss = F.cross_entropy(logits, targets[index], label_smoothing=smoothing)
        loss.backward()
        optimizer.step()
        if average is not None:
            average.update()
        loss_sum += loss.item() * len(index)
        correct += (logits.argmax(1) == targets[index]).sum().item()
    return loss_sum / rows, correct / rows


def accuracy(model, images, targets, mean, std, batch=500, flip=False):
    """Test accuracy; with flip, of the mean of the probabilities of each image and its mirror image."""
    model.eval()
    correct = 0
    with torch.inference_mode():
        for first in range(0, images.shape[0], batch):
            x = (images[first:first + batch].float() / 255 - mean) / std
            scores = model(x).softmax(1) + model(x.flip(3)).softmax(1) if flip else model(x)
            correct += (scores.argmax(1) == targets[first:first + batch]).sum().item()
    return correct / images.shape[0]
