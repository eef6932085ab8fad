#!/usr/bin/env python3
"""Times `textclf vectorize` against NLTK + scikit-learn in one run, on this machine.

  python3 Benchmarks/run-vectorize.py [--repeat N] [--scaling]

1. The seed recipe on SST-2 train, end to end (read, whitespace split, Porter stemming,
   counting, writing the .npz): `textclf vectorize --text whitespace,porter,sklearn` vs
   NLTK's PorterStemmer() + CountVectorizer() + scipy.sparse.save_npz (reference.py).
2. Plain CountVectorizer() on IMDB train: the whole process, and the fit alone (textclf's
   own phase timing vs scikit-learn's fit_transform), with each process's peak memory.
3. With --scaling: IMDB train repeated 1x, 2x and 4x, time and peak memory of both.
Reports medians of N runs (default 5) and the ratios. Builds textclf in release mode first.
Needs the shared corpora and `pip install nltk==3.10.4 scikit-learn==1.9.1`.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("TEXTCLF_SHARED_DATA", os.path.join(os.path.dirname(ROOT), "shared", "data"))


def measured(command):
    """Wall time and peak resident memory (MB) of a command, via GNU time."""
    output = subprocess.run(["/usr/bin/time", "-f", "TIME %e %M"] + command, capture_output=True, text=True)
    if output.returncode != 0:
        sys.exit("failed: %s\n%s" % (" ".join(command), output.stderr))
    match = re.search(r"TIME ([0-9.]+) ([0-9]+)", output.stderr)
    return float(match.group(1)), int(match.group(2)) / 1024, output.stdout, output.stderr


def medians(command, repeat):
    runs = [measured(command) for _ in range(repeat)]
    return (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs), runs[-1][2], runs[-1][3])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scaling", action="store_true")
    args = parser.parse_args()
    subprocess.run(["swift", "build", "-c", "release", "--product", "textclf"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    binary = os.path.join(subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT,
                                         capture_output=True, text=True, check=True).stdout.strip(), "textclf")
    reference = [sys.executable, os.path.join(ROOT, "Benchmarks", "reference.py"), "vectorize"]
    out = tempfile.mkdtemp()
    print("machine: %d cores; medians of %d runs" % (os.cpu_count(), args.repeat))

    sst2 = os.path.join(DATA, "sst2", "train.tsv")
    ours = medians([binary, "vectorize", sst2, "--text", "whitespace,porter,sklearn", "--out", out, "--quiet"], args.repeat)
    theirs = medians(reference + [sst2, "--seed-recipe", "--out", os.path.join(out, "ref.npz")], min(args.repeat, 3))
    phases = json.loads(theirs[2])
    print("\n1. Seed recipe, SST-2 train -> %s, %d stored" % (phases["shape"], phases["nnz"]))
    print("   textclf %.3f s (%.0f MB)   NLTK + scikit-learn %.2f s (%.0f MB; stemming %.2f s, fit %.2f s)   %.1fx faster"
          % (ours[0], ours[1], theirs[0], theirs[1], phases["stem_s"], phases["fit_s"], theirs[0] / ours[0]))

    imdb = os.path.join(DATA, "imdb", "train.jsonl")
    ours = medians([binary, "vectorize", imdb, "--out", out], args.repeat)
    fit = float(re.search(r"stored, density [0-9.]+, ([0-9.]+) s", ours[2]).group(1))
    theirs = medians(reference + [imdb, "--out", os.path.join(out, "ref.npz")], min(args.repeat, 3))
    phases = json.loads(theirs[2])
    print("\n2. CountVectorizer(), IMDB train -> %s, %d stored" % (phases["shape"], phases["nnz"]))
    print("   whole process: textclf %.2f s (%.0f MB peak)   scikit-learn %.2f s (%.0f MB peak)   %.1fx faster, %.2fx the memory"
          % (ours[0], ours[1], theirs[0], theirs[1], theirs[0] / ours[0], ours[1] / theirs[1]))
    print("   fit alone (last run): textclf %.2f s   scikit-learn fit_transform %.2f s   %.1fx faster"
          % (fit, phases["fit_s"], phases["fit_s"] / fit))

    if args.scaling:
        print("\n3. Scaling, IMDB train repeated")
        with open(imdb, encoding="utf-8") as f:
            lines = f.read()
        for factor in (1, 2, 4):
            path = os.path.join(out, "imdb-%dx.jsonl" % factor)
            with open(path, "w", encoding="utf-8") as f:
                f.write(lines * factor)
            ours = medians([binary, "vectorize", path, "--out", out, "--quiet"], max(1, args.repeat // 2))
            theirs = medians(reference + [path, "--out", os.path.join(out, "ref.npz")], 1)
            print("   %dx (%d documents): textclf %.2f s, %.0f MB   scikit-learn %.2f s, %.0f MB"
                  % (factor, 25000 * factor, ours[0], ours[1], theirs[0], theirs[1]))
            os.remove(path)


if __name__ == "__main__":
    main()
