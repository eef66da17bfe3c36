"""Metrics of sentence-transformers 6.0.1's InformationRetrievalEvaluator (and SequentialEvaluator) on
stored embeddings.

Usage: ir_reference.py --cases cases.json

cases.json is a JSON array of cases:
  {"query_ids": [...], "query_emb": [[...], ...], "corpus_ids": [...], "corpus_emb": [[...], ...],
   "relevant_docs": [[qid, [cid, ...]], ...],       # pairs, so that integer ids stay integers
   "similarity_fn_name": "cosine" | "dot",           # the stand-in model's similarity function
   "evaluators": [{"name", "truncate_dim", "score_functions": null | ["cosine", "dot"],
                   "main_score_function", "corpus_chunk_size", "accuracy_at_k", "precision_recall_at_k",
                   "mrr_at_k", "ndcg_at_k", "map_at_k"}, ...],   # absent keys take ST's defaults
   "sequential": bool,                                # run them through one SequentialEvaluator
   "calls": int, "epoch": float, "steps": int}        # evaluations in a row (primary metric stickiness)
Prints a JSON array, one entry per case: {"calls": [{"evaluators": [{"metrics", "primary_metric"}],
"sequential": {"metrics", "primary_metric"} | null}], "csv": {file name: text}}.

The model is a stand-in whose encode_query / encode_document return the stored rows (looked up by the
text "q<row>" / "d<row>"), sliced to truncate_dim as SentenceTransformer.encode(truncate_dim=...) does;
everything else (chunking, top-k, ties, metrics, key names, primary metric) is ST's own code.
"""
import argparse
import json
import os
import tempfile

import torch
from sentence_transformers.sentence_transformer.evaluation import InformationRetrievalEvaluator, SequentialEvaluator
from sentence_transformers.util.similarity import SimilarityFunction


class _CardData:
    def set_evaluation_metrics(self, *args, **kwargs):
        pass


class StoredEmbeddingModel:
    def __init__(self, query_emb, corpus_emb, similarity_fn_name):
        self.rows = {f"q{i}": row for i, row in enumerate(query_emb)}
        self.rows.update({f"d{i}": row for i, row in enumerate(corpus_emb)})
        self.similarity_fn_name = similarity_fn_name
        self.similarity = SimilarityFunction.to_similarity_fn(similarity_fn_name)
        self.model_card_data = _CardData()

    def _encode(self, sentences, truncate_dim=None, convert_to_tensor=True, **kwargs):
        emb = torch.stack([self.rows[s] for s in sentences])
        if truncate_dim is not None:
            emb = emb[:, :truncate_dim]
        return emb

    encode_query = _encode
    encode_document = _encode
    encode = _encode


def build_evaluator(case, spec):
    queries = {qid: f"q{i}" for i, qid in enumerate(case["query_ids"])}
    corpus = {cid: f"d{i}" for i, cid in enumerate(case["corpus_ids"])}
    relevant = {qid: set(cids) for qid, cids in case["relevant_docs"]}
    kwargs = {k: spec[k] for k in ("name", "truncate_dim", "corpus_chunk_size", "accuracy_at_k", "precision_recall_at_k",
                                     "mrr_at_k", "ndcg_at_k", "map_at_k", "main_score_function") if spec.get(k) is not None}
    if spec.get("score_functions"):
        kwargs["score_functions"] = {n: SimilarityFunction.to_similarity_fn(n) for n in spec["score_functions"]}
    return InformationRetrievalEvaluator(queries=queries, corpus=corpus, relevant_docs=relevant, **kwargs)


def run_case(case):
    query_emb = torch.tensor(case["query_emb"], dtype=torch.float32)
    corpus_emb = torch.tensor(case["corpus_emb"], dtype=torch.float32)
    model = StoredEmbeddingModel(query_emb, corpus_emb, case.get("similarity_fn_name", "cosine"))
    evaluators = [build_evaluator(case, spec) for spec in case["evaluators"]]
    sequential = SequentialEvaluator(evaluators) if case.get("sequential") else None
    epoch, steps = case.get("epoch", -1), case.get("steps", -1)
    calls = []
    with tempfile.TemporaryDirectory() as out_dir:
        for _ in range(case.get("calls", 1)):
            if sequential is not None:
                merged = sequential(model, output_path=out_dir, epoch=epoch, steps=steps)
                seq = {"metrics": merged, "primary_metric": sequential.primary_metric}
                # The sub-evaluators' own dicts are not returned by SequentialEvaluator; their keys are in `merged`.
                per = [{"metrics": None, "primary_metric": ev.primary_metric} for ev in evaluators]
            else:
                seq = None
                per = []
                for ev in evaluators:
                    metrics = ev(model, output_path=out_dir, epoch=epoch, steps=steps)
                    per.append({"metrics": metrics, "primary_metric": ev.primary_metric})
            calls.append({"evaluators": per, "sequential": seq})
        csv = {}
        for name in sorted(os.listdir(out_dir)):
            with open(os.path.join(out_dir, name), encoding="utf-8") as f:
                csv[name] = f.read()
    return {"calls": calls, "csv": csv}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", required=True)
    args = parser.parse_args()
    with open(args.cases) as f:
        cases = json.load(f)
    print(json.dumps([run_case(c) for c in cases]))


if __name__ == "__main__":
    main()
