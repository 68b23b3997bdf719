# Writes the colour task where colour is not the answer: circles, squares and triangles, each in a random colour on a random
# background colour, at a random size and position, as 32x32 PNGs in one sub-folder per class; a held-out test set beside.
# Usage: python3.13 bench/Search/shape_folders.py OUT_ROOT [TRAIN_PER_CLASS] [SEED]
import os, sys
import numpy as np
from PIL import Image, ImageDraw

SIZE = 32
CLASSES = ["circle", "square", "triangle"]

def colour(rng):
    return tuple(int(v) for v in rng.integers(0, 256, 3))

def distinct_colours(rng):
    # The shape must be visible: its colour differs from the background's by a clear margin, in a random direction.
    while True:
        shape, background = colour(rng), colour(rng)
        if sum(abs(a - b) for a, b in zip(shape, background)) > 150:
            return shape, background

def draw(kind, rng):
    shape, background = distinct_colours(rng)
    image = Image.new("RGB", (SIZE, SIZE), background)
    pen = ImageDraw.Draw(image)
    size = int(rng.integers(10, 24))
    x, y = (int(v) for v in rng.integers(0, SIZE - size, 2))
    if kind == "circle":
        pen.ellipse([x, y, x + size, y + size], fill=shape)
    elif kind == "square":
        pen.rectangle([x, y, x + size, y + size], fill=shape)
    else:
        pen.polygon([(x + size / 2, y), (x, y + size), (x + size, y + size)], fill=shape)
    return image

def write(root, per_class, rng):
    for kind in CLASSES:
        os.makedirs(os.path.join(root, kind), exist_ok=True)
        for i in range(per_class):
            draw(kind, rng).save(os.path.join(root, kind, f"{i:05d}.png"))

out = sys.argv[1]
per_class = int(sys.argv[2]) if len(sys.argv) > 2 else 400
rng = np.random.default_rng(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
write(os.path.join(out, "train"), per_class, rng)
write(os.path.join(out, "test"), 300, rng)
