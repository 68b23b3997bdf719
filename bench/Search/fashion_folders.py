# Writes Fashion-MNIST subsets as folders of PNGs, one sub-folder per class, as a user's images would be:
# the first N training images (seeded shuffle) and the whole test set, held out.
# Usage: python3.13 bench/Search/fashion_folders.py OUT_ROOT [TRAIN_ROWS] [SEED]
import gzip, os, sys
import numpy as np
from PIL import Image

CLASSES = ["tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"]
SOURCE = "/usr/share/datasets/fashion-mnist"

def read(name, offset):
    with gzip.open(os.path.join(SOURCE, name)) as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)

def write(root, images, labels):
    for c in CLASSES:
        os.makedirs(os.path.join(root, c), exist_ok=True)
    for i, (image, label) in enumerate(zip(images, labels)):
        Image.fromarray(image).save(os.path.join(root, CLASSES[label], f"{i:05d}.png"))

out, rows, seed = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5000, int(sys.argv[3]) if len(sys.argv) > 3 else 1
train = read("train-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
train_labels = read("train-labels-idx1-ubyte.gz", 8)
order = np.random.default_rng(seed).permutation(len(train))[:rows]
write(os.path.join(out, "train"), train[order], train_labels[order])
write(os.path.join(out, "test"), read("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28), read("t10k-labels-idx1-ubyte.gz", 8))
