#!/usr/bin/env bash
# Writes the seed inputs of each fuzz target into Fuzz/<target>/seeds: small valid files of
# every format, taken from the test fixtures or made by textclf itself (tiny models and
# vectorizers). Usage: bash Fuzz/make-seeds.sh [TEXTCLF]   (default: .build/release/textclf)
set -euo pipefail
cd "$(dirname "$0")/.."
textclf=${1:-.build/release/textclf}
[ -x "$textclf" ] || { echo "make-seeds: build textclf first (swift build -c release)" >&2; exit 1; }
seeds() { rm -rf "Fuzz/$1/seeds"; mkdir -p "Fuzz/$1/seeds"; echo "Fuzz/$1/seeds"; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

d=$(seeds tsv)
printf 'text\tlabel\na fine film\tpos\na "quoted" dull film\tneg\nno header below\tpos\n' >"$d/header.tsv"
printf 'pos\tgreat fun\nneg\tdull and long\n' >"$d/label-first.tsv"
d=$(seeds csv)
cp Tests/Fixtures/data/readers_tricky.csv "$d/tricky.csv"
printf 'id,sentence,sentiment\n1,"good, really",1\n2,bad,0\n' >"$d/columns.csv"
d=$(seeds jsonl)
printf '{"text": "a fine film", "label": "pos"}\n{"text": "dull \\u00e9t\\u00e9", "label": "neg"}\n' >"$d/strings.jsonl"
printf '{"text": "good", "label": 1}\n{"text": "bad \\"film\\"", "label": 0}\n' >"$d/numbers.jsonl"
d=$(seeds arff)
cp Tests/Fixtures/data/readers_sample.arff "$d/sample.arff"
d=$(seeds embeddings-text)
cp Tests/Fixtures/embeddings/small.glove.txt "$d/glove.txt"
cp Tests/Fixtures/embeddings/small.w2v.txt "$d/word2vec.txt"
d=$(seeds word2vec-binary)
cp Tests/Fixtures/embeddings/small.w2v.bin "$d/small.bin"
d=$(seeds pipeline)
for p in pipelines/*.yaml; do cp "$p" "$d/"; done
d=$(seeds npz)
for f in small_f32 compressed counts_i8 empty_0x5 index64_f4; do cp "Tests/Fixtures/tensor/$f.npz" "$d/"; done
d=$(seeds npy)
for f in f4_3x4 f8_2x1 i4_0 i8_5 i8_scalar s3_scalar; do cp "Tests/Fixtures/tensor/arrays/$f.npy" "$d/"; done
d=$(seeds svmlight)
cp Tests/Fixtures/tensor/labels.svm "$d/"

# Models and vectorizers: tiny ones trained here. model.json loses its checksums so that
# mutated weights reach the tensor checks (a folder without them is read as before).
printf 'a fine film\tpos\ngreat fun\tpos\ndull and long\tneg\nbad film\tneg\nfine fun\tpos\nlong bad\tneg\n' >"$work/train.tsv"
m=$(seeds model); v=$(seeds vectorizer)
train() {
    local name=$1; shift
    "$textclf" train "$work/train.tsv" --out "$work/$name" --epochs 2 --seed 1 --quiet "$@" >/dev/null
    python3 - "$work/$name/model.json" "$work/$name/model.safetensors" "$m/$name" "$work" <<'PY'
import json, sys
document = json.load(open(sys.argv[1]))
document.pop("files", None)
document.pop("training", None)
document["arguments"] = [a.replace(sys.argv[4], "corpus") for a in document["arguments"]]
with open(sys.argv[3], "wb") as out:
    out.write(json.dumps(document, indent=1).encode())
    out.write(b"\n--model.safetensors--\n")
    out.write(open(sys.argv[2], "rb").read())
PY
    [ -f "$work/$name/vectorizer.json" ] && cp "$work/$name/vectorizer.json" "$v/$name.json"
    return 0
}
train logreg --model logreg
train mlp --model mlp --hidden 4 --dropout 0.2 --features counts --ngram 1..2
train mlp-norm --model mlp --hidden 3,2 --batch-norm --features hashing --hash-features 64
train layernorm --model mlp --hidden 3 --layer-norm --features tfidf --sublinear-tf
