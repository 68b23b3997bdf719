"""Loads a state_dict that MLNetCnn saved into torchvision's model and prints its eval-mode logits.

python3.13 score_in_pytorch.py NAME WEIGHTS.pt INPUT.safetensors OUTPUT.safetensors
"""
import sys

import torch
import torchvision.models as tvm
from safetensors.torch import load_file, save_file

name, weights, inputs, output = sys.argv[1:5]
model = getattr(tvm, name)(weights=None, num_classes=int(sys.argv[5]) if len(sys.argv) > 5 else 1000)
model.load_state_dict(torch.load(weights, weights_only=True))
model.eval()
with torch.no_grad():
    logits = model(load_file(inputs)["input"])
save_file({"logits": logits.contiguous()}, output)
