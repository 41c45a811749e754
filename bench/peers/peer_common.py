"""Helpers of the native peers of bench/training.ts (pytorch.py, numpy_peer.py): the MNIST IDX files,
which BLAS library the process really loaded, the CPUs it may use, and the timed runs.

No numpy or torch import here: numpy_peer.py must set OPENBLAS_NUM_THREADS before numpy loads.
"""
import argparse
import ctypes
import gzip
import os
import sys
import time

EPOCH = 50_000


def peer_args(doc, workloads, script, threads, threads_help, default_workload=None):
    """The peers' command line (--data, --workload, --threads, --steps, --runs, --warmup), checked,
    with each workload's default steps and warm-up (`workloads[name]["steps"]`, `["warmup"]`) filled in."""
    p = argparse.ArgumentParser(description=doc.split("\n")[0])
    p.add_argument("--data", required=True, help="folder with train-images-idx3-ubyte and train-labels-idx1-ubyte (or .gz)")
    p.add_argument("--workload", choices=sorted(workloads), default=default_workload, required=default_workload is None)
    p.add_argument("--threads", default=threads, help=threads_help)
    defaults = ", ".join(f"{w['steps']} for {name}" for name, w in sorted(workloads.items()))
    p.add_argument("--steps", type=int, help=f"timed steps per run (default: {defaults})")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--warmup", type=int, help="untimed steps first (default: " + ", ".join(f"{w['warmup']} for {name}" for name, w in sorted(workloads.items())) + ")")
    args = p.parse_args()
    w = workloads[args.workload]
    args.steps = w["steps"] if args.steps is None else args.steps
    args.warmup = w["warmup"] if args.warmup is None else args.warmup
    if args.steps < 1 or args.runs < 1 or args.warmup < 0:
        sys.exit(f"{script}: --steps and --runs must be at least 1 and --warmup at least 0, got {args.steps}, {args.runs}, {args.warmup}")
    return args


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


def mnist(folder, count):
    """The first `count` training images (bytes, row-major 28x28 each) and labels (bytes)."""
    pixels, _ = read_idx(folder, "train-images-idx3-ubyte", count)
    labels, _ = read_idx(folder, "train-labels-idx1-ubyte", count)
    return pixels, labels


def cores():
    """The CPUs this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _openblas(path):
    """The OpenBLAS entry points of a loaded library, or None if it is not OpenBLAS."""
    try:
        lib = ctypes.CDLL(path)
        lib.openblas_get_config.restype = ctypes.c_char_p
        lib.openblas_get_corename.restype = ctypes.c_char_p
        lib.openblas_get_num_threads.restype = ctypes.c_int
        lib.openblas_set_num_threads.argtypes = [ctypes.c_int]
        return lib
    except (OSError, AttributeError):
        return None


def blas(threads=None):
    """
    The BLAS library this process has mapped (call after importing numpy or torch), as
    {"name", "library", "threads", "config"}. Debian switches libblas.so.3 between implementations
    (update-alternatives), and numpy.show_config() names only what numpy was built against
    ("blas"), so the truth is the file in /proc/self/maps. With OpenBLAS, `threads` (if given) sets
    its thread count first: torch.set_num_threads does not reach a pthreads OpenBLAS.
    """
    try:
        with open("/proc/self/maps") as maps:
            mapped = {line.split()[-1] for line in maps if "/" in line}
    except OSError:
        return {"name": "unknown BLAS", "library": None, "threads": None, "config": "no /proc/self/maps"}
    libraries = sorted({os.path.realpath(p) for p in mapped if any(k in os.path.basename(p) for k in ("blas", "blis", "mkl_rt"))})
    for path in libraries:
        lib = _openblas(path)
        if lib is not None:
            if threads is not None:
                lib.openblas_set_num_threads(threads)
            config = lib.openblas_get_config().decode()
            version = config.split()[1] if config.startswith("OpenBLAS ") else ""
            return {
                "name": f"OpenBLAS {version}".strip(),
                "library": path,
                "threads": lib.openblas_get_num_threads(),
                "config": f"{config}, core {lib.openblas_get_corename().decode()}",
            }
    if not libraries:
        return {"name": "unknown BLAS", "library": None, "threads": None, "config": "no BLAS library mapped"}
    path = libraries[0]
    # Debian's libblas3 (/usr/lib/<arch>/blas/libblas.so.3): the Netlib Fortran reference, one thread.
    if "/blas/libblas.so" in path:
        return {"name": "reference BLAS", "library": path, "threads": 1, "config": "Netlib reference BLAS (Debian libblas3), single-threaded"}
    return {"name": os.path.basename(path), "library": path, "threads": None, "config": path}


def timed(train, batches, warmup, runs, batch_size):
    """
    `train(batches)` (returns the last batch's loss) on the first `warmup` batches untimed, then
    `runs` times on the rest, each run's seconds scaled to an epoch of 50,000 images.
    """
    train(batches[:warmup])
    part = batches[warmup:]
    seconds, loss = [], float("nan")
    for _ in range(runs):
        started = time.perf_counter()
        loss = train(part)
        seconds.append((time.perf_counter() - started) * EPOCH / (len(part) * batch_size))
    s = sorted(seconds)
    return {
        "secondsPerEpoch": {"median": (s[(len(s) - 1) // 2] + s[len(s) // 2]) / 2, "min": s[0], "max": s[-1]},
        "runs": seconds,
        "lastLoss": loss,
    }
