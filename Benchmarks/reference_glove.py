#!/usr/bin/env python3
"""The SMS-spam GloVe recipe in Python, timed: gensim loads GloVe 6B 50d, documents become
the mean of their lower-cased tokens' vectors, and a PyTorch MLP in->15->2 (dropout 0.4,
Adam lr 0.01, batch 64, 100 epochs) trains on a stratified 80/20 split; prints the phases'
seconds and the held-out spam F1.

  reference_glove.py GLOVE_TXT [--threads T]
Needs: pip install gensim torch scikit-learn
"""
import argparse
import json
import os
import re
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("TEXTCLF_SHARED_DATA", os.path.join(os.path.dirname(ROOT), "shared", "data"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("glove")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    start = time.perf_counter()
    from gensim.models import KeyedVectors
    vectors = KeyedVectors.load_word2vec_format(args.glove, binary=False, no_header=True)
    loaded = time.perf_counter()
    import numpy as np
    labels, docs = [], []
    with open(os.path.join(DATA, "sms", "SMSSpamCollection"), encoding="utf-8") as f:
        for line in f:
            label, text = line.rstrip("\n").split("\t", 1)
            labels.append(1 if label == "spam" else 0)
            docs.append(re.findall(r"\w+", text.lower()))
    X = np.zeros((len(docs), vectors.vector_size), dtype=np.float32)
    for i, tokens in enumerate(docs):
        known = [vectors[t] for t in tokens if t in vectors.key_to_index]
        if known:
            X[i] = np.mean(known, axis=0)
    averaged = time.perf_counter()
    import torch
    from sklearn.metrics import f1_score
    from sklearn.model_selection import train_test_split
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    y = np.array(labels)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
    model = torch.nn.Sequential(torch.nn.Linear(X.shape[1], 15), torch.nn.ReLU(), torch.nn.Dropout(0.4), torch.nn.Linear(15, 2))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(Xtr), torch.tensor(ytr)), batch_size=64, shuffle=True)
    loss_function = torch.nn.CrossEntropyLoss()
    for _ in range(100):
        model.train()
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss_function(model(inputs), targets).backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        predictions = model(torch.tensor(Xte)).argmax(dim=1).numpy()
    done = time.perf_counter()
    print(json.dumps({"load_s": loaded - start, "average_s": averaged - loaded, "train_s": done - averaged,
                      "total_s": done - start, "spam_f1": float(f1_score(yte, predictions))}))


if __name__ == "__main__":
    main()
