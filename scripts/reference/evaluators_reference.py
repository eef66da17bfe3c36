"""Metrics of sentence-transformers 6.0.1's TripletEvaluator, EmbeddingSimilarityEvaluator,
BinaryClassificationEvaluator, RerankingEvaluator and ParaphraseMiningEvaluator on stored embeddings.

Usage: evaluators_reference.py --cases cases.json

cases.json is a JSON array of cases:
  {"texts": [...], "vectors": [[...], ...],     # the stand-in model: text -> its float32 embedding
   "similarity_fn_name": "cosine" | "dot" | "euclidean" | "manhattan",
   "evaluators": [{"type": "triplet" | "similarity" | "binary" | "reranking" | "paraphrase",
                   "kwargs": {...}}],          # the evaluator's own constructor arguments (snake_case);
                                               # reranking's similarity_fct is a name: cos_sim, dot_score,
                                               # euclidean_sim or manhattan_sim; paraphrase's duplicates_dict
                                               # becomes nested defaultdict(bool)s, as ST builds its own
   "sequential": bool,                          # run them through one SequentialEvaluator
   "calls": int, "epoch": float, "steps": int}  # evaluations in a row
Prints a JSON array, one entry per case: {"calls": [{"evaluators": [{"metrics", "primary_metric"}],
"sequential": {"metrics", "primary_metric"} | null}], "csv": {file name: text}}. Non-finite metric values
are written as the strings "NaN", "Infinity", "-Infinity" (JSON has no such numbers).

The model is a stand-in whose encode / encode_query / encode_document return the stored rows of the
texts, sliced to truncate_dim as SentenceTransformer.encode(truncate_dim=...) does; everything else is
sentence-transformers' own code.
"""
import argparse
import json
import math
import os
import tempfile
import warnings
from collections import defaultdict

import numpy as np
import torch
from sentence_transformers import util
from sentence_transformers.sentence_transformer.evaluation import (
    BinaryClassificationEvaluator,
    EmbeddingSimilarityEvaluator,
    ParaphraseMiningEvaluator,
    RerankingEvaluator,
    SequentialEvaluator,
    TripletEvaluator,
)

EVALUATORS = {
    "triplet": TripletEvaluator,
    "similarity": EmbeddingSimilarityEvaluator,
    "binary": BinaryClassificationEvaluator,
    "reranking": RerankingEvaluator,
    "paraphrase": ParaphraseMiningEvaluator,
}
RERANKING_FUNCTIONS = {
    "cos_sim": util.cos_sim,
    "dot_score": util.dot_score,
    "euclidean_sim": util.euclidean_sim,
    "manhattan_sim": util.manhattan_sim,
}


class _CardData:
    def set_evaluation_metrics(self, *args, **kwargs):
        pass


class StoredEmbeddingModel:
    def __init__(self, texts, vectors, similarity_fn_name):
        table = torch.tensor(vectors, dtype=torch.float32)
        self.rows = {t: table[i] for i, t in enumerate(texts)}
        self.similarity_fn_name = similarity_fn_name
        self.model_card_data = _CardData()

    def _encode(self, sentences, truncate_dim=None, convert_to_tensor=False, **kwargs):
        emb = torch.stack([self.rows[s] for s in sentences])
        if truncate_dim is not None:
            emb = emb[:, :truncate_dim]
        return emb if convert_to_tensor else emb.numpy()

    encode_query = _encode
    encode_document = _encode
    encode = _encode


def build_evaluator(spec):
    kwargs = dict(spec["kwargs"])
    if spec["type"] == "reranking" and "similarity_fct" in kwargs:
        kwargs["similarity_fct"] = RERANKING_FUNCTIONS[kwargs["similarity_fct"]]
    if spec["type"] == "paraphrase" and "duplicates_list" in kwargs:
        kwargs["duplicates_list"] = [tuple(pair) for pair in kwargs["duplicates_list"]]
    if spec["type"] == "paraphrase" and "duplicates_dict" in kwargs:
        # As ST's own default: a missing entry reads as "not a duplicate" (a plain dict raises KeyError).
        # Every id named gets a row up front: ST's constructor reads duplicates[key2][key1] while iterating
        # over the outer dict, which a defaultdict would otherwise grow mid-iteration (RuntimeError).
        nested = defaultdict(lambda: defaultdict(bool))
        for a, row in kwargs["duplicates_dict"].items():
            nested[a].update(row)
        for row in list(nested.values()):
            for b in list(row):
                nested[b]
        kwargs["duplicates_dict"] = nested
    return EVALUATORS[spec["type"]](**kwargs)


def finite_or_name(value):
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def jsonable(metrics):
    return {k: finite_or_name(float(v)) for k, v in metrics.items()}


def run_case(case):
    model = StoredEmbeddingModel(case["texts"], case["vectors"], case.get("similarity_fn_name", "cosine"))
    evaluators = [build_evaluator(spec) for spec in case["evaluators"]]
    sequential = SequentialEvaluator(evaluators) if case.get("sequential") else None
    epoch, steps = case.get("epoch", -1), case.get("steps", -1)
    calls = []
    with tempfile.TemporaryDirectory() as out_dir:
        for _ in range(case.get("calls", 1)):
            if sequential is not None:
                merged = sequential(model, output_path=out_dir, epoch=epoch, steps=steps)
                seq = {"metrics": jsonable(merged), "primary_metric": sequential.primary_metric}
                per = [{"metrics": None, "primary_metric": ev.primary_metric} for ev in evaluators]
            else:
                seq = None
                per = []
                for ev in evaluators:
                    metrics = ev(model, output_path=out_dir, epoch=epoch, steps=steps)
                    per.append({"metrics": jsonable(metrics), "primary_metric": ev.primary_metric})
            calls.append({"evaluators": per, "sequential": seq})
        csv = {}
        for name in sorted(os.listdir(out_dir)):
            with open(os.path.join(out_dir, name), encoding="utf-8", newline="") as f:
                csv[name] = f.read()
    return {"calls": calls, "csv": csv}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", required=True)
    args = parser.parse_args()
    with open(args.cases) as f:
        cases = json.load(f)
    # Constant inputs, single-class labels and the like are among the cases: their warnings are expected.
    warnings.simplefilter("ignore")
    print(json.dumps([run_case(c) for c in cases]))


if __name__ == "__main__":
    main()
