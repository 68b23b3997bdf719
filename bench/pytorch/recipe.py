"""MLNetCnn's training recipe in PyTorch, step for step: scale to [0, 1], zero-pad and random-crop, horizontal flip,
per-channel standardisation, SGD with momentum and weight decay, linear warm-up then cosine decay per step."""
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


def train_epoch(model, optimizer, images, targets, mean, std, epoch, epochs, batch, base_rate, warmup, padding, flip, generator):
    """One epoch over uint8 images N x C x H x W; returns (mean loss, training accuracy)."""
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
        optimizer.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits, targets[index])
        loss.backward()
        optimizer.step()
        loss_sum += loss.item() * len(index)
        correct += (logits.argmax(1) == targets[index]).sum().item()
    return loss_sum / rows, correct / rows


def accuracy(model, images, targets, mean, std, batch=500):
    model.eval()
    correct = 0
    with torch.inference_mode():
        for first in range(0, images.shape[0], batch):
            x = (images[first:first + batch].float() / 255 - mean) / std
            correct += (model(x).argmax(1) == targets[first:first + batch]).sum().item()
    return correct / images.shape[0]
