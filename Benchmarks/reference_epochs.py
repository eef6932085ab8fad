#!/usr/bin/env python3
"""PyTorch (CPU) side of Benchmarks/run-epochs.sh: training epochs on features textclf wrote.

  reference_epochs.py dense FOLDER [--epochs N] [--threads T] [--device cpu|cuda]
      FOLDER/train.npy (dense rows, from `textclf vectorize --features glove`) and
      FOLDER/train.labels.txt; MLP in -> 256 -> 256 -> 2 (ReLU), Adam lr 0.001, batch 64.
  reference_epochs.py sparse FOLDER [--epochs N] [--threads T] [--device cpu|cuda]
      FOLDER/train.npz (CSR TF-IDF rows, from `textclf vectorize --features tfidf`) and
      FOLDER/train.labels.txt; MLP in -> 64 -> 2 (ReLU, dropout 0.4), Adam lr 0.001, batch 64.
      Each batch goes in as a torch.sparse CSR tensor: the first layer is
      torch.sparse.mm(batch, W) + b, so the input is never densified.
Each epoch shuffles with torch.randperm and indexes the rows of the batch; the timing of an
epoch covers batching, forward, loss, backward and the Adam step. With --device cuda the model
and each batch are on the GPU (the epoch ends with torch.cuda.synchronize()). Prints one JSON
line: {"epoch_seconds": [...], "threads": T, "device": D}.
Needs: pip install torch scipy numpy
"""
import argparse
import json
import os
import time
import warnings

import numpy as np
import torch


def labels(folder):
    with open(os.path.join(folder, "train.labels.txt"), encoding="utf-8") as f:
        names = [line.rstrip("\n") for line in f]
    classes = sorted(set(names))
    return torch.tensor([classes.index(name) for name in names]), len(classes)


class SparseMLP(torch.nn.Module):
    def __init__(self, inputs, hidden, outputs):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.empty(inputs, hidden))
        self.bias = torch.nn.Parameter(torch.empty(hidden))
        bound = 1 / inputs ** 0.5
        torch.nn.init.uniform_(self.weight, -bound, bound)
        torch.nn.init.uniform_(self.bias, -bound, bound)
        self.rest = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Dropout(0.4), torch.nn.Linear(hidden, outputs))

    def forward(self, batch):
        return self.rest(torch.sparse.mm(batch, self.weight) + self.bias)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["dense", "sparse"])
    parser.add_argument("folder")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    warnings.filterwarnings("ignore", message="Sparse")  # CSR support is "beta"; invariants unchecked
    y, classes = labels(args.folder)
    if args.kind == "dense":
        x = torch.from_numpy(np.load(os.path.join(args.folder, "train.npy")).astype(np.float32))
        model = torch.nn.Sequential(
            torch.nn.Linear(x.shape[1], 256), torch.nn.ReLU(), torch.nn.Linear(256, 256), torch.nn.ReLU(),
            torch.nn.Linear(256, classes))

        def batch(rows):
            return x[rows].to(device)
    else:
        import scipy.sparse
        matrix = scipy.sparse.load_npz(os.path.join(args.folder, "train.npz")).tocsr().astype(np.float32)
        model = SparseMLP(matrix.shape[1], 64, classes)

        def batch(rows):
            part = matrix[rows.numpy()]
            return torch.sparse_csr_tensor(
                torch.from_numpy(part.indptr.astype(np.int64)), torch.from_numpy(part.indices.astype(np.int64)),
                torch.from_numpy(part.data), size=part.shape).to(device)
    model = model.to(device)
    y = y.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    loss_function = torch.nn.CrossEntropyLoss()
    model.train()
    seconds = []
    for _ in range(args.epochs):
        start = time.perf_counter()
        order = torch.randperm(len(y))
        for first in range(0, len(y), 64):
            rows = order[first:first + 64]
            labels_of_batch = y[rows.to(device)]
            optimizer.zero_grad()
            loss = loss_function(model(batch(rows)), labels_of_batch)
            loss.backward()
            optimizer.step()
        if args.device == "cuda":
            torch.cuda.synchronize()
        seconds.append(time.perf_counter() - start)
    print(json.dumps({"epoch_seconds": seconds, "threads": args.threads, "device": args.device}))


if __name__ == "__main__":
    main()
