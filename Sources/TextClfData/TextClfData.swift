/// Labelled-document corpora: readers for TSV, CSV, JSONL, ARFF and folder-per-label layouts.
