"""Fits the definition model of CD-03 (policies/evaluation/description-safety/model.json).

Reads the feature counts written by features.ts (one definition per line) and fits a logistic
regression on their tf-idf weights (sublinear term frequency, smoothed idf, each block — words and
characters — scaled to unit length), poisoned against benign, the classes weighted equally. The
model file keeps, for each feature kept, its idf and its weight, so the scorer (model.ts) computes
the same probability without any of this.

    python train.py features.jsonl model.json            # fit on every line, write the model
    python train.py features.jsonl --evaluate GROUP...   # fit without each GROUP, read it
    python train.py features.jsonl --models DIR GROUP... # fit without each GROUP, write DIR/GROUP.json

--evaluate prints, for each GROUP (an earlier holdout's folder), the model's probability for each
of its definitions when fitted on every other tuning definition: how the thresholds of
description-safety.ts were chosen.
"""

import hashlib
import json
import sys

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.linear_model import LogisticRegression

# Features kept per block: those in at least MIN_DF definitions, the most frequent first.
BLOCKS = {"words": (2, 20000), "chars": (3, 50000)}
C = 8.0


def read(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def vocabulary(rows, block):
    min_df, most = BLOCKS[block]
    df, tf = {}, {}
    for r in rows:
        for k, v in r[block].items():
            df[k] = df.get(k, 0) + 1
            tf[k] = tf.get(k, 0) + v
    kept = [k for k in df if df[k] >= min_df]
    kept.sort(key=lambda k: (-tf[k], k))
    kept = sorted(kept[:most])
    n = len(rows)
    idf = {k: float(np.log((1 + n) / (1 + df[k])) + 1) for k in kept}
    return kept, idf


def matrix(rows, block, kept, idf):
    index = {k: i for i, k in enumerate(kept)}
    data, cols, ptr = [], [], [0]
    for r in rows:
        entries = [(index[k], (1 + np.log(v)) * idf[k]) for k, v in r[block].items() if k in index]
        norm = np.sqrt(sum(w * w for _, w in entries)) or 1.0
        for i, w in entries:
            cols.append(i)
            data.append(w / norm)
        ptr.append(len(cols))
    return csr_matrix((data, cols, ptr), shape=(len(rows), len(kept)))


def fit(rows):
    vocab = {b: vocabulary(rows, b) for b in BLOCKS}
    x = hstack([matrix(rows, b, *vocab[b]) for b in BLOCKS]).tocsr()
    y = np.array([r["label"] for r in rows])
    model = LogisticRegression(C=C, max_iter=10000, class_weight="balanced").fit(x, y)
    return vocab, model


def predict(vocab, model, rows):
    x = hstack([matrix(rows, b, *vocab[b]) for b in BLOCKS]).tocsr()
    return model.predict_proba(x)[:, 1]


def evaluate(rows, groups):
    for g in groups:
        train = [r for r in rows if r["group"] != g and r["split"] == "tune"]
        test = [r for r in rows if r["group"] == g]
        vocab, model = fit(train)
        p = predict(vocab, model, test)
        out = [{"id": r["id"], "kind": r["kind"], "category": r["category"], "rules": r["rules"], "p": float(q)} for r, q in zip(test, p)]
        print(json.dumps({"group": g, "items": out}))


def models(rows, out_dir, groups):
    for g in groups:
        write([r for r in rows if r["group"] != g and r["split"] == "tune"], f"{out_dir}/{g}.json")


def write(rows, path):
    vocab, model = fit(rows)
    coef = model.coef_[0]
    # What it was fitted on: the ids of the definitions, so a changed corpus shows a stale model.
    ids = "\n".join(sorted(r["id"] for r in rows))
    doc = {
        "trainedOn": {"definitions": len(rows), "ids": hashlib.sha256(ids.encode()).hexdigest()},
        "intercept": round(float(model.intercept_[0]), 6),
    }
    offset = 0
    for b in BLOCKS:
        kept, idf = vocab[b]
        doc[b] = {
            "features": kept,
            "idf": [round(idf[k], 4) for k in kept],
            "weights": [round(float(w), 4) for w in coef[offset : offset + len(kept)]],
        }
        offset += len(kept)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    rows = read(sys.argv[1])
    if sys.argv[2] == "--evaluate":
        evaluate(rows, sys.argv[3:])
    elif sys.argv[2] == "--models":
        models(rows, sys.argv[3], sys.argv[4:])
    else:
        write([r for r in rows if r["split"] == "tune"], sys.argv[2])
