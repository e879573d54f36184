"""ganrep metric budgets: exact 1-NN search and intrinsic dimension at 32x32x3.

    python benchmarks/ganrep_metrics.py [--n 10000]

Times the batched, chunked 1-NN search of N generated against N training images (uint8, 32x32x3)
against scikit-learn's brute-force search, and the Levina-Bickel ID of N images; reports seconds and
the peak resident memory each adds (ru_maxrss grows monotonically, so each step runs in a fresh
process, with every library imported before the baseline is read).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from kdgen.runtime import cpu_model

STEPS = {
    "ours_1nn": (
        "from kdgen.metrics.replication import nearest_training_images\n"
        "out = nearest_training_images(samples, train, chunk=512)\n"
        "result = out['index']"
    ),
    "sklearn_1nn": (
        "from sklearn.neighbors import NearestNeighbors\n"
        "nn = NearestNeighbors(n_neighbors=2, algorithm='brute').fit(train.reshape(len(train), -1).astype('float32'))\n"
        "result = nn.kneighbors(samples.reshape(len(samples), -1).astype('float32'))[1][:, 0]"
    ),
    "ours_id": (
        "from kdgen.metrics import intrinsic_dimension\n"
        "result = intrinsic_dimension(train, size=None)['id']"
    ),
}

TEMPLATE = """
import json, resource, sys, time
import numpy as np
import torch, sklearn.neighbors, kdgen.metrics, kdgen.metrics.replication  # imports before the baseline
rng = np.random.default_rng(0)
n = {n}
basis = rng.normal(size=(12, 32 * 32 * 3))
images = np.empty((2 * n, 32 * 32 * 3), dtype=np.uint8)
for start in range(0, 2 * n, 1000):  # images on a 12-dimensional manifold plus noise, made in small chunks
    m = min(1000, 2 * n - start)
    images[start : start + m] = np.clip(128 + 12 * rng.normal(size=(m, 12)) @ basis + rng.normal(0, 4, (m, 3072)), 0, 255)
images = images.reshape(-1, 32, 32, 3)
train, samples = images[:n], images[n:]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
{code}
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"seconds": seconds, "peak_mb": peak / 1024, "added_mb": (peak - before) / 1024, "result": np.asarray(result).tolist() if np.ndim(result) else float(result)}}))
"""


def run(step: str, n: int) -> dict:
    code = TEMPLATE.format(n=n, code=STEPS[step])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10000)
    args = parser.parse_args()
    ours, ref, ident = run("ours_1nn", args.n), run("sklearn_1nn", args.n), run("ours_id", args.n)
    agree = sum(a == b for a, b in zip(ours["result"], ref["result"])) / args.n
    print(f"{args.n} generated x {args.n} training images, 32x32x3 uint8, {cpu_model()}")
    print(f"1-NN, ours (float64, chunks of 512)   {ours['seconds']:7.1f} s   +{ours['added_mb']:7.0f} MB peak")
    print(f"1-NN, scikit-learn brute (float32)    {ref['seconds']:7.1f} s   +{ref['added_mb']:7.0f} MB peak")
    print(f"  speed ratio {ref['seconds'] / ours['seconds']:.2f}x, memory ratio {ref['added_mb'] / max(ours['added_mb'], 1):.2f}x, same neighbour for {agree:.2%}")
    print(f"intrinsic dimension of {args.n} images   {ident['seconds']:7.1f} s   +{ident['added_mb']:7.0f} MB peak   (ID {ident['result']:.2f})")


if __name__ == "__main__":
    main()
