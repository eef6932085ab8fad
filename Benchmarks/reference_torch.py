#!/usr/bin/env python3
"""PyTorch (CPU) side of the training-step benchmarks.

  reference_torch.py mlp [--steps N] [--threads T]
      forward + backward + Adam step of an MLP 300 -> 256 -> 256 -> 2 (ReLU) on a dense
      batch of 256, cross-entropy loss.
  reference_torch.py sparse-linear NPZ [--steps N] [--threads T]
      forward + backward + Adam step of Linear(columns, 2) on batches of 256 rows of the
      CSR matrix in NPZ, densified per batch as the usual PyTorch recipe does
      (torch.tensor(X[rows].toarray())), cross-entropy loss.
Prints {"median_ms", "min_ms", "steps", "threads"} as JSON. Inputs are random with a fixed seed.
Needs: pip install torch scipy
"""
import argparse
import json
import statistics
import time

import numpy as np
import torch


def timed(step, steps):
    for _ in range(5):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["mlp", "sparse-linear"])
    parser.add_argument("npz", nargs="?")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    generator = np.random.default_rng(0)
    loss_function = torch.nn.CrossEntropyLoss()
    if args.kind == "mlp":
        model = torch.nn.Sequential(torch.nn.Linear(300, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256),
                                    torch.nn.ReLU(), torch.nn.Linear(256, 2))
        x = torch.tensor(generator.standard_normal((256, 300)), dtype=torch.float32)
        y = torch.tensor(generator.integers(0, 2, 256))
        batches = None
    else:
        import scipy.sparse
        matrix = scipy.sparse.load_npz(args.npz).tocsr().astype(np.float32)
        model = torch.nn.Linear(matrix.shape[1], 2)
        starts = list(range(0, matrix.shape[0] - 256, 256))
        batches = iter([])
        y = torch.tensor(generator.integers(0, 2, 256))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    state = {"position": 0}

    def step():
        if batches is None:
            inputs = x
        else:
            start = starts[state["position"] % len(starts)]
            state["position"] += 1
            inputs = torch.tensor(matrix[start:start + 256].toarray())
        optimizer.zero_grad()
        loss = loss_function(model(inputs), y)
        loss.backward()
        optimizer.step()

    times = timed(step, args.steps)
    print(json.dumps({"kind": args.kind, "median_ms": statistics.median(times), "min_ms": min(times),
                      "steps": args.steps, "threads": args.threads}))


if __name__ == "__main__":
    main()
