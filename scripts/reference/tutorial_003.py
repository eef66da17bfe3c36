"""Tutorial 003, sentence-transformers' side: all-mpnet-base-v2 fine-tuned with MultipleNegativesRankingLoss by
SentenceTransformerTrainer, an InformationRetrievalEvaluator run before and after training (queries = the test
questions, corpus = the passages of train and test, each query's relevant document = its own row's passage),
as the tutorial does. examples/003-compare.js runs it beside `embedforge train` on the same split rows.

  --model DIR          a sentence-transformers folder (the initial weights)
  --train FILE.jsonl   the training rows (the train split), one JSON object per line
  --test FILE.jsonl    the held-out rows: their anchors are the queries, their passages join the corpus
  --columns A,P        the (anchor, positive) columns trained on, in this order (default anchor,positive)
  --id-column NAME     the column naming each row, as the evaluator's ids (default "id" when the rows have it,
                       else row numbers: train rows first, then test rows)
  --args FILE.json     training arguments by their sentence-transformers / transformers names, e.g.
                       {"num_train_epochs": 1, "per_device_train_batch_size": 32, "learning_rate": 2e-5, ...};
                       "batch_sampler": "no_duplicates" as in a config file (the arguments class reads the name). output_dir is a temporary folder.
  --max-steps N        optional: stop after N optimizer steps (overrides --args)
  --limit N            optional: train on the first N training rows only (the corpus keeps every row)
  --max-seq-length N   optional: the model's max_seq_length
  --threads N          optional: torch's CPU threads (1 is several times faster on a small, busy CPU)
  --device cpu|cuda    default cpu; on CPU fp16 / bf16 / tf32 are switched off (training runs in fp32, as
                       embedforge does there), with a note on stderr
  --out FILE.json      optional: also write the result there

Prints one JSON object on stdout: {"baseline": {metric: value}, "final": {...}, "train_runtime" (seconds in the
training loop), "train_loss", "global_step", "wall" (seconds per phase: load, baseline_eval, train, final_eval,
total), "rows" ({"train", "test", "corpus"}), "args" (the arguments used), "versions"}. Metric names are the
evaluator's (cosine_accuracy@1, ..., cosine_map@100), without the "eval_" prefix the Trainer adds.
"""
import argparse, contextlib, json, os, shutil, sys, tempfile, time

import torch

from jsonl_rows import read_jsonl



def column(rows, name, path):
    for i, r in enumerate(rows):
        if name not in r:
            sys.exit(f"{path}: row {i} has no column {name!r} (columns: {', '.join(r)})")
    return [r[name] for r in rows]


def build_evaluator(train_rows, test_rows, anchor, positive, id_column, batch_size, a):
    """The tutorial's evaluator: corpus = id -> passage over train then test rows, queries = id -> test question."""
    from sentence_transformers.evaluation import InformationRetrievalEvaluator
    if id_column is None and "id" in train_rows[0]:
        id_column = "id"
    if id_column is None:
        ids = list(range(len(train_rows) + len(test_rows)))
    else:
        ids = column(train_rows, id_column, a.train) + column(test_rows, id_column, a.test)
    corpus = dict(zip(ids, column(train_rows, positive, a.train) + column(test_rows, positive, a.test)))
    test_ids = ids[len(train_rows):]
    queries = dict(zip(test_ids, column(test_rows, anchor, a.test)))
    relevant_docs = {q: [q] for q in test_ids}
    evaluator = InformationRetrievalEvaluator(queries=queries, corpus=corpus, relevant_docs=relevant_docs, name="",
                                              batch_size=batch_size, show_progress_bar=False)
    return evaluator, len(corpus), len(queries)


def plain_metrics(metrics):
    return {k: float(v) for k, v in metrics.items()}


def training_arguments(a):
    args = json.load(open(a.args)) if a.args else {}
    if not isinstance(args, dict):
        sys.exit(f"{a.args}: expected an object of training arguments")
    args.pop("output_dir", None)
    if a.max_steps is not None:
        args["max_steps"] = a.max_steps
    if a.device == "cpu":
        for key in ("fp16", "bf16", "tf32"):
            if args.get(key):
                print(f"tutorial_003: {key} was requested but training runs on cpu: using fp32", file=sys.stderr)
                args[key] = False
    return args


def main(a):
    t_start = time.perf_counter()
    if a.threads:
        torch.set_num_threads(a.threads)
    from datasets import Dataset
    from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from sentence_transformers.losses import MultipleNegativesRankingLoss

    anchor, positive = a.columns.split(",")
    train_rows, test_rows = read_jsonl(a.train), read_jsonl(a.test)
    args = training_arguments(a)
    trained_rows = train_rows[: a.limit] if a.limit else train_rows
    train_dataset = Dataset.from_dict({anchor: column(trained_rows, anchor, a.train), positive: column(trained_rows, positive, a.train)})

    t = time.perf_counter()
    model = SentenceTransformer(a.model, device=a.device)
    if a.max_seq_length:
        model.max_seq_length = a.max_seq_length
    wall = {"load": time.perf_counter() - t}
    evaluator, n_corpus, n_queries = build_evaluator(train_rows, test_rows, anchor, positive, a.id_column,
                                                     args.get("per_device_eval_batch_size", 8), a)

    t = time.perf_counter()
    baseline = plain_metrics(evaluator(model))
    wall["baseline_eval"] = time.perf_counter() - t

    out_dir = tempfile.mkdtemp(prefix="tutorial-003-")
    try:
        training_args = SentenceTransformerTrainingArguments(**{
            **args, "output_dir": out_dir, "report_to": "none", "disable_tqdm": True, "use_cpu": a.device == "cpu",
        })
        trainer = SentenceTransformerTrainer(model=model, args=training_args, train_dataset=train_dataset,
                                             loss=MultipleNegativesRankingLoss(model),
                                             evaluator=evaluator if training_args.eval_strategy != "no" else None)
        t = time.perf_counter()
        # With disable_tqdm the Trainer prints its logs on stdout: they go to stderr, stdout carries the result only.
        with contextlib.redirect_stdout(sys.stderr):
            output = trainer.train()
        wall["train"] = time.perf_counter() - t
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)

    t = time.perf_counter()
    final = plain_metrics(evaluator(model))
    wall["final_eval"] = time.perf_counter() - t
    wall["total"] = time.perf_counter() - t_start

    import sentence_transformers, transformers
    result = {
        "baseline": baseline, "final": final, "train_runtime": output.metrics["train_runtime"],
        "train_loss": output.training_loss, "global_step": output.global_step, "wall": wall,
        "rows": {"train": len(trained_rows), "test": len(test_rows), "corpus": n_corpus, "queries": n_queries},
        "args": {k: (v.value if hasattr(v, "value") else v) for k, v in args.items()},
        "threads": torch.get_num_threads(),
        "versions": {"torch": torch.__version__, "sentence_transformers": sentence_transformers.__version__,
                     "transformers": transformers.__version__},
    }
    text = json.dumps(result)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")
    print(text)


p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--model", required=True)
p.add_argument("--train", required=True)
p.add_argument("--test", required=True)
p.add_argument("--columns", default="anchor,positive")
p.add_argument("--id-column")
p.add_argument("--args")
p.add_argument("--max-steps", type=int)
p.add_argument("--limit", type=int)
p.add_argument("--max-seq-length", type=int)
p.add_argument("--threads", type=int)
p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
p.add_argument("--out")
parsed = p.parse_args()
if len(parsed.columns.split(",")) != 2:
    p.error(f"--columns takes two names, anchor,positive: got {parsed.columns!r}")
for option in ("max_steps", "limit", "max_seq_length", "threads"):
    if getattr(parsed, option) is not None and getattr(parsed, option) <= 0:
        p.error(f"--{option.replace('_', '-')} must be a positive integer")
main(parsed)
