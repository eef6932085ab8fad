#!/usr/bin/env python3
"""The seed recipe on SST-2 the way it is usually written in Python, timed end to end.

  reference_seed.py torch [--epochs 2] [--threads T]
      NLTK PorterStemmer() on each whitespace token, CountVectorizer(), then PyTorch:
      a Dataset whose __getitem__ densifies one row, DataLoader(batch_size=16, shuffle=True),
      logistic regression (Linear(features, 2), cross-entropy), Adam(lr=0.01), 2 epochs;
      then dev accuracy.
  reference_seed.py sklearn
      the same features, then scikit-learn's LogisticRegression().fit (timed alone) and dev accuracy.
Prints one JSON line with the phases' seconds and the dev accuracy.
Needs: pip install nltk==3.10.4 scikit-learn==1.9.1 torch
"""
import argparse
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("TEXTCLF_SHARED_DATA", os.path.join(os.path.dirname(ROOT), "shared", "data"))


def read(name):
    texts, labels = [], []
    with open(os.path.join(DATA, "sst2", name), encoding="utf-8") as f:
        next(f)
        for line in f:
            text, label = line.rstrip("\n").split("\t")
            texts.append(text)
            labels.append(int(label))
    return texts, labels


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("tool", choices=["torch", "sklearn"])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    start = time.perf_counter()
    from nltk.stem.porter import PorterStemmer
    from sklearn.feature_extraction.text import CountVectorizer
    stem = PorterStemmer().stem
    train, train_labels = read("train.tsv")
    dev, dev_labels = read("dev.tsv")
    train = [" ".join(stem(t) for t in s.split()) for s in train]
    dev = [" ".join(stem(t) for t in s.split()) for s in dev]
    vectorizer = CountVectorizer()
    X = vectorizer.fit_transform(train).astype("float32")
    Y = vectorizer.transform(dev).astype("float32")
    features_done = time.perf_counter()
    if args.tool == "sklearn":
        from sklearn.linear_model import LogisticRegression
        fit_start = time.perf_counter()
        model = LogisticRegression(max_iter=1000).fit(X, train_labels)
        fit_s = time.perf_counter() - fit_start
        accuracy = float((model.predict(Y) == dev_labels).mean())
        print(json.dumps({"tool": "sklearn", "features_s": features_done - start, "fit_s": fit_s,
                          "total_s": time.perf_counter() - start, "dev_accuracy": accuracy}))
        return
    import torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    class Rows(torch.utils.data.Dataset):
        def __len__(self):
            return X.shape[0]

        def __getitem__(self, index):
            return torch.tensor(X[index].toarray()[0]), train_labels[index]

    loader = torch.utils.data.DataLoader(Rows(), batch_size=16, shuffle=True)
    model = torch.nn.Linear(X.shape[1], 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_function = torch.nn.CrossEntropyLoss()
    for _ in range(args.epochs):
        for inputs, labels in loader:
            optimizer.zero_grad()
            loss = loss_function(model(inputs), labels)
            loss.backward()
            optimizer.step()
    train_done = time.perf_counter()
    with torch.no_grad():
        predictions = model(torch.tensor(Y.toarray())).argmax(dim=1).numpy()
    accuracy = float((predictions == dev_labels).mean())
    print(json.dumps({"tool": "torch", "features_s": features_done - start, "train_s": train_done - features_done,
                      "total_s": time.perf_counter() - start, "dev_accuracy": accuracy}))


if __name__ == "__main__":
    main()
