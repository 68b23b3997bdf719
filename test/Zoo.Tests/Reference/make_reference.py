"""Writes the PyTorch/torchvision reference the zoo tests compare against.

Run with Debian 13's python3-torch (eng/setup.sh --pytorch):  python3.13 make_reference.py OUT_DIR
  OUT_DIR/manifest.json          for every torchvision-named model: state_dict keys, shapes, parameter count
  OUT_DIR/NAME.pt, NAME.safetensors   a randomly initialised state_dict (torch.save / safetensors)
  OUT_DIR/NAME.io.safetensors    an input batch and the logits torchvision computes for it in eval mode
  OUT_DIR/full_model.pt          a pickled whole module (not a state_dict): must be refused
  OUT_DIR/checkpoint.pt          a dict holding a state_dict and an epoch: must be refused
"""
import json
import os
import sys

import torch
import torchvision.models as tvm
from safetensors.torch import save_file


def build(name):
    if name == "googlenet":
        return tvm.googlenet(weights=None, aux_logits=False, init_weights=True)
    if name == "googlenet_aux":
        return tvm.googlenet(weights=None, aux_logits=True, init_weights=True)
    return getattr(tvm, name)(weights=None)


MANIFEST = ["alexnet", "googlenet", "googlenet_aux"] \
    + [f"vgg{d}{bn}" for d in (11, 13, 16, 19) for bn in ("", "_bn")] \
    + [f"resnet{d}" for d in (18, 34, 50, 101, 152)]
# (name, image size) pairs whose weights and logits are compared; small inputs keep the tests fast.
LOGITS = [("alexnet", 64), ("resnet18", 64), ("resnet50", 64), ("googlenet_aux", 64), ("vgg11_bn", 32)]


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    manifest = {}
    for name in MANIFEST:
        with torch.device("meta"):
            model = build(name)
        state = model.state_dict()
        manifest[name] = {
            "keys": {k: list(v.shape) for k, v in state.items()},
            "parameters": sum(p.numel() for p in model.parameters()),
        }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f)

    for name, size in LOGITS:
        model = build(name).eval()
        # Non-trivial batch-norm statistics, so loading the running buffers is checked too.
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.running_mean.uniform_(-0.1, 0.1)
                    m.running_var.uniform_(0.5, 1.5)
        state = {k: v.contiguous() for k, v in model.state_dict().items()}
        torch.save(state, os.path.join(out, f"{name}.pt"))
        save_file(state, os.path.join(out, f"{name}.safetensors"))
        x = torch.randn(2, 3, size, size)
        with torch.no_grad():
            logits = model(x)
        save_file({"input": x, "logits": logits.contiguous()}, os.path.join(out, f"{name}.io.safetensors"))

    torch.save(torch.nn.Linear(2, 2), os.path.join(out, "full_model.pt"))
    torch.save({"model": torch.nn.Linear(2, 2).state_dict(), "epoch": 3}, os.path.join(out, "checkpoint.pt"))


if __name__ == "__main__":
    main(sys.argv[1])
