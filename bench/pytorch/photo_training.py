"""PyTorch peer of bench/PhotoTraining: resnet18 trained from an image folder with torchvision's ImageFolder and a DataLoader
(shuffled, the given number of worker processes), resized to the given size, ImageNet normalisation, SGD (0.01, momentum 0.9,
decay 5e-4). --precision bf16 runs the forward under torch.autocast("cpu", torch.bfloat16) with model and batches channels-last,
PyTorch's fastest CPU training. Prints images/s over all epochs, from model creation to the end of training."""
import argparse, time, torch, torch.nn.functional as F, torchvision
from torchvision import transforms

p = argparse.ArgumentParser()
p.add_argument("--root", required=True); p.add_argument("--epochs", type=int, default=2)
p.add_argument("--batch", type=int, default=32); p.add_argument("--size", type=int, default=224)
p.add_argument("--threads", type=int, default=2); p.add_argument("--workers", type=int, default=0)
p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(1)
bf16 = a.precision == "bf16"
start = time.perf_counter()
data = torchvision.datasets.ImageFolder(a.root, transforms.Compose([
    transforms.Resize((a.size, a.size)), transforms.ToTensor(),
    transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]))
loader = torch.utils.data.DataLoader(data, batch_size=a.batch, shuffle=True, num_workers=a.workers, persistent_workers=a.workers > 0)
model = torchvision.models.resnet18(num_classes=len(data.classes)).train()
if bf16:
    model = model.to(memory_format=torch.channels_last)
optimizer = torch.optim.SGD(model.parameters(), 0.01, momentum=0.9, weight_decay=5e-4)
for epoch in range(a.epochs):
    for x, y in loader:
        if bf16:
            x = x.to(memory_format=torch.channels_last)
        optimizer.zero_grad()
        with torch.autocast("cpu", torch.bfloat16, enabled=bf16):
            logits = model(x)
        F.cross_entropy(logits.float(), y).backward()
        optimizer.step()
print(f"{a.epochs * len(data) / (time.perf_counter() - start):.2f}")
