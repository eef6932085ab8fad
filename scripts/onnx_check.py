"""Runs an exported model in onnxruntime and compares it with `textclf predict --json`.

    python scripts/onnx_check.py MODEL.onnx TOKENS.jsonl PREDICTIONS.jsonl [--tolerance 1e-5]

TOKENS.jsonl is `textclf tokenize --model DIR --json` of the documents, PREDICTIONS.jsonl
`textclf predict --model DIR --json` of the same documents. Prints one JSON line (documents,
largest probability difference, labels equal, seconds in onnxruntime) and exits 1 when a
probability differs by more than the tolerance or a label differs.
"""
import argparse
import json
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort

parser = argparse.ArgumentParser()
parser.add_argument("model")
parser.add_argument("tokens")
parser.add_argument("predictions")
parser.add_argument("--tolerance", type=float, default=1e-5)
args = parser.parse_args()

onnx.checker.check_model(args.model, full_check=True)
rows = [json.loads(line)["tokens"] for line in open(args.tokens, encoding="utf-8")]
width = max(1, max(map(len, rows)))
tokens = np.array([row + [""] * (width - len(row)) for row in rows], dtype=object)
session = ort.InferenceSession(args.model)
start = time.perf_counter()
probabilities, labels = session.run(None, {"tokens": tokens})
seconds = time.perf_counter() - start
classes = session.get_modelmeta().custom_metadata_map["classes"].split("\n")
predictions = [json.loads(line) for line in open(args.predictions, encoding="utf-8")]
reference = np.array([[p["probabilities"][c] for c in classes] for p in predictions])
difference = float(np.abs(probabilities - reference).max())
same_labels = [str(label) for label in labels] == [p["label"] for p in predictions]
print(json.dumps({"documents": len(rows), "max_difference": difference, "labels_equal": same_labels,
                  "onnxruntime_seconds": round(seconds, 4), "onnxruntime": ort.__version__}))
sys.exit(0 if difference <= args.tolerance and same_labels else 1)
