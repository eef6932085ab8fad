#!/usr/bin/env python3
"""Times the reference tools on the same documents as textclf-bench.

  reference.py analyze FILE --tool sklearn|nltk-porter [--repeat N] [--encoding latin-1]

Reads the corpus once (not timed) the way the textclf readers do, then times:
  sklearn      CountVectorizer().build_analyzer() over every document (lowercase + token_pattern);
  nltk-porter  str.split() + nltk PorterStemmer().stem() over every token (a new stemmer each run).
Prints one JSON line like textclf-bench.
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["analyze"])
    parser.add_argument("path")
    parser.add_argument("--tool", required=True, choices=["sklearn", "nltk-porter"])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--encoding", default="utf-8")
    args = parser.parse_args()
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
