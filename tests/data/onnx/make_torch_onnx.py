#!/usr/bin/python3
"""Writes torch_cnn.onnx and torch_cnn_logits.txt, which tests/test_onnx.cpp reads (Debian's
python3-torch and python3-onnx; run once, files committed).

A network as a user would export it from PyTorch: conv 3x3 1->4 pad 1, batch-norm (running
statistics set to non-trivial values; torch folds it into the conv at export), ReLU, conv 3x3
4->8 stride 2 pad 1, ReLU, nn.AvgPool2d(2) (which torch 1.13 exports at opset 13 as a Pad of
zeros and an AveragePool), x.view(x.size(0), -1) (exported with the dynamic batch axis as Shape,
Gather, Unsqueeze, Concat and Reshape), linear 392->10; random weights (seed 0). The logits
PyTorch computes for three synthetic 28 x 28 inputs, x[b][i] = ((b * 784 + i) * 7 % 11) / 10
- 0.3, are the independent expectation for cimmc's import and float forward pass.
"""
import os

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.c2 = nn.Conv2d(4, 8, 3, stride=2, padding=1)
        self.pool = nn.AvgPool2d(2)
        self.fc = nn.Linear(8 * 7 * 7, 10)

    def forward(self, x):
        x = torch.relu(self.bn(self.c1(x)))
        x = self.pool(torch.relu(self.c2(x)))
        return self.fc(x.view(x.size(0), -1))


def main():
    torch.manual_seed(0)
    net = Net()
    with torch.no_grad():
        net.bn.running_mean.copy_(torch.tensor([0.1, -0.2, 0.3, 0.0]))
        net.bn.running_var.copy_(torch.tensor([0.5, 2.0, 1.0, 0.25]))
        net.bn.weight.copy_(torch.tensor([1.5, 0.5, -1.0, 2.0]))
        net.bn.bias.copy_(torch.tensor([0.2, -0.1, 0.0, 0.3]))
    net.eval()
    path = os.path.join(HERE, "torch_cnn.onnx")
    torch.onnx.export(net, torch.zeros(1, 1, 28, 28), path, opset_version=13, input_names=["image"],
                      output_names=["logits"], dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
    x = torch.tensor([((i * 7) % 11) / 10.0 - 0.3 for i in range(3 * 784)], dtype=torch.float32).reshape(3, 1, 28, 28)
    with torch.no_grad():
        y = net(x)
    with open(os.path.join(HERE, "torch_cnn_logits.txt"), "w") as f:
        f.write("# logits of torch_cnn.onnx's network in PyTorch %s for 3 inputs (make_torch_onnx.py)\n" % torch.__version__)
        for row in y.tolist():
            f.write(" ".join("%.9g" % v for v in row) + "\n")


if __name__ == "__main__":
    main()
