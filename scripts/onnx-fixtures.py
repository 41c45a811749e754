#!/usr/bin/env python3
"""Makes the PyTorch-exported ONNX fixtures of test/onnx/import.test.ts.

    /usr/bin/python3 scripts/onnx-fixtures.py      (Debian: apt-get install python3-torch)

Writes test/onnx/fixtures/<name>.onnx (torch.onnx.export, dynamic batch) and <name>.json (the
fixed input and torch's float32 output on it) for four small models: an MLP, a LeNet-style conv
net, a ResNet-style block with BatchNormalization and an Add skip connection, and a tiny
transformer block (embedding, two-head attention, LayerNorm, GELU) at opsets 17 and 13. Deterministic under its seeds;
the files are committed, so the tests need no torch (a few tens of KB in all).
"""
import json
import math
import os
import sys

try:
    import torch
    from torch import nn
except ImportError:
    sys.exit(f'PyTorch is missing for {sys.executable}: the fixtures are made with torch.onnx.export. Install it '
             '(Debian/Ubuntu: sudo apt-get install -y python3-torch, then run /usr/bin/python3 scripts/onnx-fixtures.py). '
             'The tests do not need it: they read the committed fixtures.')

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'onnx', 'fixtures')


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(20, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        return torch.softmax(self.fc2(torch.tanh(self.fc1(x))), dim=1)


class LeNet(nn.Module):
    """1×16×16 images: conv 5×5 (pad 2) → ReLU → max pool → conv 5×5 → sigmoid → avg pool → view → dense."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc = nn.Linear(16 * 2 * 2, 10)

    def forward(self, x):
        x = nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = nn.functional.avg_pool2d(torch.sigmoid(self.conv2(x)), 2)
        x = x.view(x.size(0), -1)  # Shape → Gather → Unsqueeze → Concat → Reshape
        return nn.functional.log_softmax(self.fc(x), dim=1)


class ResBlock(nn.Module):
    """3×8×8 images: conv → BN → ReLU → conv → BN → + skip → ReLU → global average pool → dense."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.skip = nn.Conv2d(3, 8, 1, stride=1)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        h = torch.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        h = torch.relu(h + self.skip(x))
        h = nn.functional.adaptive_avg_pool2d(h, 1)
        return self.fc(torch.flatten(h, 1))


class Transformer(nn.Module):
    """Token ids [batch, 6] → embedding + positions → two-head self-attention → LayerNorm → GELU feed-forward → LayerNorm → logits."""

    def __init__(self, vocab=10, steps=6, width=16, heads=2):
        super().__init__()
        self.heads = heads
        self.embed = nn.Embedding(vocab, width)
        self.positions = nn.Parameter(torch.randn(steps, width) * 0.5)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.norm1 = nn.LayerNorm(width)
        self.ff1 = nn.Linear(width, 32)
        self.ff2 = nn.Linear(32, width)
        self.norm2 = nn.LayerNorm(width)
        self.out = nn.Linear(width, vocab)

    def forward(self, ids):
        x = self.embed(ids) + self.positions
        n, t, d = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        split = lambda z: z.reshape(n, t, self.heads, d // self.heads).transpose(1, 2)
        q, k, v = split(q), split(k), split(v)
        weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(d // self.heads), dim=-1)
        attended = (weights @ v).transpose(1, 2).reshape(n, t, d)
        x = self.norm1(x + self.proj(attended))
        x = self.norm2(x + self.ff2(nn.functional.gelu(self.ff1(x))))
        return self.out(x)


def randomize_batch_norm(model):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)


def export(name, model, x, opset, input_name='x'):
    model.eval()
    with torch.no_grad():
        y = model(x)
    path = os.path.join(OUT, f'{name}.onnx')
    # PRESERVE and no constant folding: BatchNormalization stays a node instead of being folded into the conv.
    torch.onnx.export(model, (x,), path, input_names=[input_name], output_names=['output'],
                      dynamic_axes={input_name: {0: 'batch'}, 'output': {0: 'batch'}}, opset_version=opset,
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    fixture = {
        'model': f'{name}.onnx', 'torch': torch.__version__, 'opset': opset, 'input': input_name,
        'inputShape': list(x.shape), 'inputType': 'int64' if x.dtype == torch.int64 else 'float32',
        'inputValues': x.flatten().tolist(), 'outputShape': list(y.shape), 'outputValues': y.flatten().tolist(),
    }
    with open(os.path.join(OUT, f'{name}.json'), 'w') as f:
        json.dump(fixture, f)
    print(f'{path}: {os.path.getsize(path)} bytes, output {list(y.shape)}')


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(21)
    export('mlp', Mlp(), torch.randn(4, 20), 13)
    export('lenet', LeNet(), torch.rand(3, 1, 16, 16), 13)
    res = ResBlock()
    randomize_batch_norm(res)
    export('resblock', res, torch.randn(2, 3, 8, 8), 13)
    torch.manual_seed(22)
    ids = torch.randint(0, 10, (3, 6))
    transformer = Transformer()
    export('transformer', transformer, ids, 17, input_name='ids')  # LayerNormalization
    export('transformer-opset13', transformer, ids, 13, input_name='ids')  # LayerNorm as ReduceMean, Pow, Sqrt, …


if __name__ == '__main__':
    sys.exit(main())
