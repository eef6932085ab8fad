#!/usr/bin/env python3
"""Times the reference tools on the same documents as textclf-bench.

  reference.py analyze FILE --tool sklearn|nltk-porter [--repeat N] [--encoding latin-1]
  reference.py vectorize FILE --out X.npz [--seed-recipe] [--encoding latin-1]

Reads the corpus once (not timed) the way the textclf readers do, then times:
  sklearn      CountVectorizer().build_analyzer() over every document (lowercase + token_pattern);
  nltk-porter  str.split() + nltk PorterStemmer().stem() over every token (a new stemmer each run).
Prints one JSON line like textclf-bench.

vectorize is the Python side of `textclf vectorize`, timed in phases: read the corpus, (with
--seed-recipe) stem every whitespace token with NLTK's PorterStemmer() and re-join, then
CountVectorizer().fit_transform, then scipy.sparse.save_npz (uncompressed). It prints
{"read_s", "stem_s", "fit_s", "save_s", "total_s", "shape", "nnz"}.
"""
import argparse
import csv
import json
import os
import statistics
import sys
import time


def read(path, encoding):
    if os.path.isdir(path):
        docs = []
        for label in sorted(os.listdir(path)):
            for name in sorted(os.listdir(os.path.join(path, label))):
                with open(os.path.join(path, label, name), "rb") as f:
                    docs.append(f.read().decode(encoding))
        return docs
    if path.endswith(".jsonl"):
        with open(path, encoding=encoding) as f:
            return [json.loads(line)["text"] for line in f if line.strip()]
    with open(path, encoding=encoding) as f:
        lines = f.read().split("\n")
    header = lines[0].split("\t")
    column = header.index("sentence") if "sentence" in header else 1
    return [line.split("\t")[column] for line in lines[1:] if line]


def vectorize(args):
    start = time.perf_counter()
    docs = read(args.path, args.encoding)
    read_done = time.perf_counter()
    if args.seed_recipe:
        from nltk.stem.porter import PorterStemmer
        stem = PorterStemmer().stem
        docs = [" ".join(stem(t) for t in d.split()) for d in docs]
    stem_done = time.perf_counter()
    import scipy.sparse
    from sklearn.feature_extraction.text import CountVectorizer
    X = CountVectorizer().fit_transform(docs)
    fit_done = time.perf_counter()
    scipy.sparse.save_npz(args.out, X, compressed=False)
    save_done = time.perf_counter()
    print(json.dumps({
        "read_s": read_done - start, "stem_s": stem_done - read_done, "fit_s": fit_done - stem_done,
        "save_s": save_done - fit_done, "total_s": save_done - start, "shape": list(X.shape), "nnz": int(X.nnz),
    }, sort_keys=True))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["analyze", "vectorize"])
    parser.add_argument("path")
    parser.add_argument("--tool", choices=["sklearn", "nltk-porter"])
    parser.add_argument("--out")
    parser.add_argument("--seed-recipe", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--encoding", default="utf-8")
    args = parser.parse_args()
    if args.command == "vectorize":
        return vectorize(args)
    docs = read(args.path, args.encoding)
    megabytes = sum(len(d.encode("utf-8")) for d in docs) / 1e6
    seconds = []
    tokens = 0
    for _ in range(args.repeat):
        if args.tool == "sklearn":
            from sklearn.feature_extraction.text import CountVectorizer
            analyze = CountVectorizer().build_analyzer()
            start = time.perf_counter()
            tokens = sum(len(analyze(d)) for d in docs)
        else:
            from nltk.stem.porter import PorterStemmer
            stem = PorterStemmer().stem
            start = time.perf_counter()
            tokens = sum(len([stem(t) for t in d.split()]) for d in docs)
        seconds.append(time.perf_counter() - start)
    median = statistics.median(seconds)
    print(json.dumps({
        "tool": args.tool, "path": args.path, "documents": len(docs), "tokens": tokens,
        "megabytes": megabytes, "repeats": args.repeat, "median_s": median,
        "min_s": min(seconds), "max_s": max(seconds), "mb_per_s": megabytes / median,
    }, sort_keys=True))


if __name__ == "__main__":
    sys.exit(main())
