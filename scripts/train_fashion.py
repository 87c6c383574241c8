#!/usr/bin/python3
"""Train the two small Fashion-MNIST networks shipped in data/models/ and export them to ONNX.

  /usr/bin/python3 scripts/train_fashion.py [--out data/models] [--epochs-cnn 8] [--epochs-mlp 8]

Needs Debian's python3-torch, python3-onnx and dataset-fashion-mnist (the IDX files under
/usr/share/datasets/fashion-mnist). Everything is seeded (seed 0) and runs on one CPU
thread, so a rerun gives the same weights and the same float top-1 accuracy printed here
and recorded in data/models/SOURCE.

Inputs are pixel / 255 with no mean subtraction: the first layer then sees unsigned values
in [0, 1], which cimmc quantizes to 8 bits exactly (one code per pixel value).

  fashion_cnn: conv 3x3 1->8, batch-norm, ReLU, max-pool 2; conv 3x3 8->16, batch-norm,
               ReLU, max-pool 2; flatten 400; linear 400->64, ReLU; linear 64->10.
               Small on purpose: a 10,000-image test set through the macro model is
               about 1.3e9 MACs.
  fashion_mlp: flatten 784; linear 784->128, ReLU; linear 128->64, ReLU; linear 64->10.
"""
import argparse
import gzip
import os

import numpy as np
import torch
from torch import nn

DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(split):
    images = read_idx(f"{split}-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    labels = read_idx(f"{split}-labels-idx1-ubyte.gz").astype(np.int64)
    return torch.from_numpy(images).unsqueeze(1), torch.from_numpy(labels)


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 64), nn.ReLU(), nn.Linear(64, 10))


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                         nn.Linear(64, 10))


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(x[i:i + 1000]).argmax(1) for i in range(0, len(x), 1000)])
    return (pred == y).float().mean().item()


def train(name, model, epochs, train_set, test_set, out):
    torch.manual_seed(0)  # the shuffling order; the weights were seeded when built
    x, y = train_set
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()
        sched.step()
        print(f"{name}: epoch {epoch + 1}/{epochs}: test top-1 {accuracy(model, *test_set):.4f}", flush=True)
    acc = accuracy(model, *test_set)
    path = os.path.join(out, f"{name}.onnx")
    model.eval()
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), path, opset_version=13, input_names=["image"],
                      output_names=["logits"], dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
    print(f"{name}: float test top-1 {acc:.4f} ({round(acc * 10000)}/10000), wrote {path} "
          f"({os.path.getsize(path)} bytes)")
    return acc


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "data", "models"))
    ap.add_argument("--epochs-cnn", type=int, default=8)
    ap.add_argument("--epochs-mlp", type=int, default=8)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    train_set, test_set = load("train"), load("t10k")
    torch.manual_seed(0)
    train("fashion_cnn", cnn(), args.epochs_cnn, train_set, test_set, args.out)
    torch.manual_seed(0)
    train("fashion_mlp", mlp(), args.epochs_mlp, train_set, test_set, args.out)


if __name__ == "__main__":
    main()
