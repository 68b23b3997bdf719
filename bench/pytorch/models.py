"""The PyTorch peers of MLNetCnn's networks: torchvision's ResNets, and the CIFAR ResNet of He et al. (option A
shortcuts: stride-2 subsampling and zero channel padding), written here because torchvision has none."""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


class BasicBlockA(nn.Module):
    def __init__(self, inp, out, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out)
        self.conv2 = nn.Conv2d(out, out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out)
        self.pad = out - inp
        self.stride = stride

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        shortcut = x[:, :, ::self.stride, ::self.stride] if self.stride > 1 else x
        if self.pad:
            shortcut = F.pad(shortcut, (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return F.relu(y + shortcut)


class CifarResNet(nn.Module):
    def __init__(self, depth, num_classes=10, in_chans=3):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(in_chans, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        layers, inp = [], 16
        for stage, width in enumerate([16, 32, 64]):
            for i in range(n):
                layers.append(BasicBlockA(inp, width, 2 if stage > 0 and i == 0 else 1))
                inp = width
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.layers(F.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def create(arch, num_classes, in_chans):
    if arch.startswith("resnet") and int(arch[6:]) in (20, 32, 44, 56, 110):
        return CifarResNet(int(arch[6:]), num_classes, in_chans)
    model = getattr(torchvision.models, arch)(num_classes=num_classes)
    if in_chans != 3:
        model.conv1 = nn.Conv2d(in_chans, 64, 7, 2, 3, bias=False)
    return model


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())
