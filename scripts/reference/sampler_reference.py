"""Batch-order reference: the batches sentence-transformers' own trainer draws, epoch by epoch.

  python sampler_reference.py CASES.json > OUT.json

CASES.json is a list of cases:
  {"datasets": [{"name": str, "columns": {column: [values, ...], ...}}, ...],
   "args": {training arguments by their sentence-transformers names: per_device_train_batch_size, batch_sampler,
            multi_dataset_batch_sampler, dataloader_drop_last, seed, data_seed},
   "epochs": int}
One dataset is trained on as a `datasets.Dataset`, several as a `DatasetDict` (in the given order).

For each case the answer is {"length": len(train dataloader), "epochs": [[batch, ...], ...]} where a batch is the
list of row indices the batch sampler yielded (for several datasets: indices into their concatenation, as
sentence-transformers' ConcatDataset numbers them).

Nothing is re-implemented: a SentenceTransformerTrainer is built on the data (with a tiny in-memory model,
which plays no part in the order) and its train dataloader (accelerate-prepared, as in training) is iterated
epoch by epoch exactly as transformers' Trainer does: set_epoch(epoch) on the dataloader and on a wrapped
batch sampler, then a full pass over the dataloader. The batch sampler is only watched, not replaced.
"""
import json, logging, os, sys, tempfile


def tiny_model():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    tokenizer = Tokenizer(models.WordLevel({"[UNK]": 0}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    return SentenceTransformer(modules=[StaticEmbedding(tokenizer, embedding_dim=4)], device="cpu")


def watch(sampler, record):
    """Makes `sampler` append every batch it yields to record["batches"] (its class is swapped for a subclass)."""
    base = type(sampler)

    class Watched(base):
        def __iter__(self):
            for batch in base.__iter__(self):
                record["batches"].append([int(i) for i in batch])
                yield batch

    sampler.__class__ = Watched


def run_case(case, model):
    from datasets import Dataset, DatasetDict
    from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    parts = {d["name"]: Dataset.from_dict(d["columns"]) for d in case["datasets"]}
    train = next(iter(parts.values())) if len(parts) == 1 else DatasetDict(parts)
    args = SentenceTransformerTrainingArguments(**{
        **case["args"], "output_dir": tempfile.mkdtemp(prefix="sampler-reference-"), "report_to": "none",
        "disable_tqdm": True, "use_cpu": True,
    })
    trainer = SentenceTransformerTrainer(model=model, args=args, train_dataset=train, loss=MultipleNegativesRankingLoss(model))
    loader = trainer.get_train_dataloader()
    record = {"batches": []}
    watch(loader.batch_sampler, record)
    epochs = []
    for epoch in range(case["epochs"]):
        # transformers' Trainer._run_epoch, before it iterates the epoch.
        if hasattr(loader, "set_epoch"):
            loader.set_epoch(epoch)
        underlying = getattr(getattr(loader, "batch_sampler", None), "batch_sampler", None)
        if hasattr(underlying, "set_epoch"):
            underlying.set_epoch(epoch)
        record["batches"] = []
        for _ in loader:
            pass
        epochs.append(record["batches"])
    return {"length": len(loader), "epochs": epochs}


def main():
    logging.disable(logging.WARNING)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    cases = json.load(open(sys.argv[1]))
    model = tiny_model()
    json.dump([run_case(case, model) for case in cases], sys.stdout)


main()
