"""The reference server for Benchmarks/run-serve.sh: FastAPI on uvicorn (one process, as
`uvicorn.run` starts it) serving scikit-learn's CountVectorizer() + LogisticRegression()
trained on SST-2 train, with textclf serve's request and answer shapes:
POST /v1/predict {"texts": [...]} -> {"predictions": [{"label": ..., "probabilities": {...}}]}.

    python Benchmarks/reference_serve.py SST2_TRAIN_TSV PORT
"""
import csv
import sys

import uvicorn
from fastapi import FastAPI, Request
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

train, port = sys.argv[1], int(sys.argv[2])
with open(train, encoding="utf-8", newline="") as f:
    rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
pipeline = make_pipeline(CountVectorizer(), LogisticRegression(max_iter=1000))
pipeline.fit([row[0] for row in rows], [row[1] for row in rows])
classes = [str(c) for c in pipeline.classes_]
app = FastAPI()


@app.post("/v1/predict")
async def predict(request: Request):
    texts = (await request.json())["texts"]
    probabilities = pipeline.predict_proba(texts)
    return {"predictions": [{"label": classes[row.argmax()], "probabilities": dict(zip(classes, map(float, row)))}
                            for row in probabilities]}


@app.get("/health")
async def health():
    return {"status": "ok"}


uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
