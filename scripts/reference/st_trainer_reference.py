"""Trainer-level reference: sentence-transformers' own SentenceTransformerTrainer (the Hugging Face Trainer
underneath) on given data in a given batch order, recording every optimizer step exactly.

  --engine trainer   (default) SentenceTransformerTrainer itself; needs `datasets` and `accelerate`
  --engine loop      the same computation as a plain PyTorch loop over sentence-transformers' losses
                     (st_training_loop.py), for machines without those two packages (the GPU machine)

  --model DIR        a sentence-transformers folder (the initial weights)
  --pairs FILE.jsonl one JSON object per row; its keys, in order, are the columns (anchor, positive[, negative...],
                     and a "label" or "score" column for losses that take one)
  --pairs NAME=FILE.jsonl (repeated)
                     a dict of named datasets (a DatasetDict, in the order given): multi-dataset training with
                     multi_dataset_batch_sampler; only with --own-batches. "loss" may then be a dict {NAME: spec}
  --eval-pairs FILE.jsonl | NAME=FILE.jsonl (repeated)
                     optional: the eval_dataset (one, or a dict of named ones); with eval_strategy "steps" the
                     Trainer logs eval_loss (eval_<NAME>_loss for a dict), reported as "eval_log"
  --batches FILE.json
                     [[batch, ...], ...]: for each epoch, the batches of row indices in the order they are
                     consumed (the embedforge sampler's epochBatches(epoch) for epoch 0, 1, ...)
  --own-batches      instead of --batches: sentence-transformers draws its own batches with its own samplers
                     (batch_sampler, seed, data_seed, dataloader_drop_last as the arguments say); the batches it
                     drew are reported as "batches" (per epoch). Only with --engine trainer.
  --args FILE.json   {"loss": SPEC or {NAME: SPEC, ...} (one per named dataset),
                      every other key: a training argument by its transformers/sentence-transformers name}
                     SPEC: loss_reference.py's {"class", "kwargs"?, "loss"? (the inner spec of a modifier)}, any loss;
                     or the short form {"name", "scale"?, "similarity"?, "matryoshka_dims"?, "matryoshka_weights"?,
                     "distance_metric"?, "margin"?} for MultipleNegatives(Symmetric)RankingLoss (optionally inside
                     MatryoshkaLoss) and BatchSemiHardTripletLoss
  --device cpu|cuda  (bf16 / tf32 come from the arguments)
  --threads N        optional: torch's CPU threads (on a shared, busy CPU, 1 avoids threads spinning against
                     each other: several times faster there)
  --out FILE.json    {"steps": [{"step", "loss", "micro_losses", "group_size", "learning_rate", "grad_norm",
                      "epoch"}], "train_loss", "global_step", "train_runtime" (seconds in the training loop),
                      "engine", "imported" (whether datasets / accelerate were imported), "embeddings"?, "versions",
                      "batches" (--own-batches: per epoch, the batches drawn; rows of the concatenated datasets for a
                      dict), "eval_log" (the log history's entries holding an eval_*loss: step, epoch and those keys)}
  --save DIR         optional: the trained model, saved by sentence-transformers
  --encode FILE.json optional: a JSON list of texts, embedded by the trained model into "embeddings"

A step's loss is what the HF Trainer adds to its running loss: the sum over the step's accumulation group of
micro-batch loss / group size (the last group of an epoch may be shorter). Each micro-batch loss is taken
from compute_loss at full precision (the logged loss is rounded to 4 digits), and the sum is checked against
the values training_step returns. Learning rate and grad norm (before clipping) are the values the Trainer
hands to its logging for that step.
"""
import argparse, json, os, sys, tempfile
import torch

from jsonl_rows import read_jsonl


class FixedBatches:
    """A batch sampler that yields the given batches of the current epoch; its length is the nominal count
    that sentence-transformers' samplers report (len(batch_sampler)), which the Trainer plans steps with."""

    def __init__(self, epochs, nominal_length):
        self.epochs = epochs
        self.nominal_length = nominal_length
        self.epoch = 0

    def set_epoch(self, epoch):
        self.epoch = epoch

    def __len__(self):
        return self.nominal_length

    def __iter__(self):
        if self.epoch >= len(self.epochs):
            sys.exit(f"st_trainer_reference: the Trainer asked for epoch {self.epoch}, --batches has {len(self.epochs)} epochs")
        return iter([list(b) for b in self.epochs[self.epoch]])


def build_loss(model, spec):
    """A loss from either spec form: loss_reference.py's {"class", "kwargs", "loss"} (any loss), or the short
    {"name", ...} form the older callers write."""
    if "class" in spec:
        from loss_reference import make_loss
        return make_loss(model, spec)
    from sentence_transformers.sentence_transformer import losses
    from sentence_transformers.util import cos_sim, dot_score
    if spec.get("name") == "BatchSemiHardTripletLoss":
        metric = getattr(losses.BatchHardTripletLossDistanceFunction, spec.get("distance_metric", "euclidean_distance"))
        return losses.BatchSemiHardTripletLoss(model, distance_metric=metric, margin=spec.get("margin", 5))
    names = {"MultipleNegativesRankingLoss": losses.MultipleNegativesRankingLoss,
             "MultipleNegativesSymmetricRankingLoss": losses.MultipleNegativesSymmetricRankingLoss}
    if spec.get("name") not in names:
        sys.exit(f"st_trainer_reference: loss name {spec.get('name')!r} is not one of {', '.join(names)} "
                 "(any other loss: write the spec as {\"class\", \"kwargs\", \"loss\"})")
    similarity = {"cosine": cos_sim, "dot": dot_score}[spec.get("similarity", "cosine")]
    loss = names[spec["name"]](model, scale=spec.get("scale", 20.0), similarity_fct=similarity)
    if spec.get("matryoshka_dims"):
        loss = losses.MatryoshkaLoss(model, loss, spec["matryoshka_dims"], matryoshka_weights=spec.get("matryoshka_weights"))
    return loss


def is_loss_spec(x):
    return isinstance(x, dict) and ("class" in x or "name" in x)


def build_losses(model, spec, dataset_names):
    """One loss, or a dict of losses by dataset name (the names must be the datasets')."""
    if is_loss_spec(spec):
        return build_loss(model, spec)
    if dataset_names is None or sorted(spec) != sorted(dataset_names):
        sys.exit(f"st_trainer_reference: \"loss\" is a dict over {sorted(spec)}, the datasets are "
                 f"{sorted(dataset_names) if dataset_names else 'one unnamed dataset'}")
    for name, one in spec.items():
        if not is_loss_spec(one):
            sys.exit(f"st_trainer_reference: loss {name!r} is not a loss spec: {one!r}")
    return {name: build_loss(model, one) for name, one in spec.items()}


def watch(sampler, record):
    """Makes `sampler` report the batches it yields into record["batches"], a list per iteration (epoch)."""
    base = type(sampler)

    class Watched(base):
        def __iter__(self):
            record["batches"].append([])
            for batch in base.__iter__(self):
                record["batches"][-1].append([int(i) for i in batch])
                yield batch

    sampler.__class__ = Watched
    return sampler


def make_trainer_class(base, epochs, nominal_length, record):
    class RecordingTrainer(base):
        # Which dataloader is being built: only the training one is watched (or replaced by the given batches).
        def get_train_dataloader(self):
            record["building"] = "train"
            try:
                return super().get_train_dataloader()
            finally:
                record["building"] = None

        def get_batch_sampler(self, dataset, batch_size, drop_last, valid_label_columns=None, generator=None, seed=0):
            sampler = super().get_batch_sampler(dataset, batch_size, drop_last, valid_label_columns, generator, seed)
            if record["building"] != "train":
                return sampler
            if epochs is not None:
                return FixedBatches(epochs, nominal_length)
            # --own-batches: sentence-transformers' own sampler, only watched (a dict's: its multi-dataset sampler)
            return sampler if record["train_is_dict"] else watch(sampler, record)

        def get_multi_dataset_batch_sampler(self, dataset, batch_samplers, generator=None, seed=0):
            sampler = super().get_multi_dataset_batch_sampler(dataset, batch_samplers, generator, seed)
            return watch(sampler, record) if record["building"] == "train" else sampler

        def training_step(self, model, inputs, num_items_in_batch=None):
            record["in_training_step"] = True
            try:
                returned = super().training_step(model, inputs, num_items_in_batch)
            finally:
                record["in_training_step"] = False
            record["returned"].append(returned.detach().double().item())
            record["group_sizes"].append(self.current_gradient_accumulation_steps)
            return returned

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            out = super().compute_loss(model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch)
            if record["in_training_step"]:
                loss = out[0] if return_outputs else out
                record["micro"].append(loss.detach().double().item())
            return out

        # Called after every optimizer step (and again at an epoch's end, for the same step) with the values it logs.
        def _maybe_log_save_evaluate(self, tr_loss, grad_norm, *args, learning_rate=None, **kwargs):
            if self.state.global_step > len(record["steps"]):
                close_step(record, self.state, grad_norm, learning_rate)
            return super()._maybe_log_save_evaluate(tr_loss, grad_norm, *args, learning_rate=learning_rate, **kwargs)

    return RecordingTrainer


def close_step(record, state, grad_norm, learning_rate):
    micro, returned, sizes = record["micro"], record["returned"], record["group_sizes"]
    if not (len(micro) == len(returned) == len(sizes)) or not micro:
        sys.exit(f"st_trainer_reference: step {state.global_step}: {len(micro)} micro-batch losses, "
                 f"{len(returned)} training_step values, group sizes {sizes}")
    # Each micro-batch loss is divided by the size of its own accumulation group. A step normally holds one
    # group; after a group cut short (a sampler that ran out), HF carries its gradients into the next step.
    loss = sum(m / s for m, s in zip(micro, sizes))
    if abs(loss - sum(returned)) > 1e-5 * max(1.0, abs(loss)):
        sys.exit(f"st_trainer_reference: step {state.global_step}: micro-batch losses combine to {loss}, "
                 f"the Trainer accumulated {sum(returned)}")
    if isinstance(grad_norm, torch.Tensor):
        grad_norm = grad_norm.item()
    record["steps"].append({"step": state.global_step, "loss": loss, "micro_losses": list(micro), "group_size": sizes[-1],
                            "carried_group_sizes": sizes[:-sizes[-1]] if len(sizes) > sizes[-1] else [],
                            "learning_rate": learning_rate, "grad_norm": grad_norm, "epoch": state.epoch})
    micro.clear(); returned.clear(); sizes.clear()


def read_rows(path):
    rows = read_jsonl(path)
    columns = list(rows[0].keys())
    for i, r in enumerate(rows):
        if list(r.keys()) != columns:
            sys.exit(f"{path}: row {i} has columns {list(r.keys())}, row 0 has {columns}")
    return rows, columns


def read_named(values, option):
    """--pairs / --eval-pairs values: [(None, FILE)] for one dataset, [(NAME, FILE), ...] for a dict."""
    named = [tuple(v.split("=", 1)) if "=" in v else (None, v) for v in values]
    if len(named) > 1 and any(n is None for n, _ in named):
        sys.exit(f"st_trainer_reference: several {option} need a NAME=FILE each: {values}")
    names = [n for n, _ in named]
    if len(set(names)) != len(names):
        sys.exit(f"st_trainer_reference: a dataset name is given twice in {option}: {names}")
    return [(n, *read_rows(f)) for n, f in named]


def to_dataset(named):
    """A datasets.Dataset, or a DatasetDict for named ones."""
    from datasets import Dataset, DatasetDict
    make = lambda rows, columns: Dataset.from_dict({c: [r[c] for r in rows] for c in columns})
    if named[0][0] is None:
        return make(*named[0][1:])
    return DatasetDict({n: make(rows, columns) for n, rows, columns in named})


def read_inputs(a):
    datasets = read_named(a.pairs, "--pairs")
    if datasets[0][0] is not None and not a.own_batches:
        sys.exit("st_trainer_reference: named datasets (--pairs NAME=FILE) need --own-batches")
    _, rows, columns = datasets[0]
    if a.own_batches:
        epochs = None
    else:
        epochs = json.load(open(a.batches))
    if epochs is not None and (not isinstance(epochs, list) or not all(isinstance(e, list) and all(isinstance(b, list) for b in e) for e in epochs)):
        sys.exit(f"{a.batches}: expected a list of epochs, each a list of batches (lists of row indices)")
    for e, batches in enumerate(epochs or []):
        for b, batch in enumerate(batches):
            bad = [i for i in batch if not isinstance(i, int) or not 0 <= i < len(rows)]
            if bad or not batch:
                sys.exit(f"{a.batches}: epoch {e} batch {b} is empty or holds row indices outside 0..{len(rows) - 1}: {bad[:5]}")
    spec = json.load(open(a.args))
    if not isinstance(spec, dict) or not isinstance(spec.get("loss"), dict):
        sys.exit(f"{a.args}: expected an object with a \"loss\" object and the training arguments")
    loss_spec = spec.pop("loss")
    return datasets, epochs, spec, loss_spec


def main(a):
    datasets, epochs, hf_args, loss_spec = read_inputs(a)
    rows = datasets[0][1]
    if a.threads:
        torch.set_num_threads(a.threads)
    batch_size = hf_args.get("per_device_train_batch_size", 8)
    drop_last = hf_args.get("dataloader_drop_last", False)
    # The length sentence-transformers' batch samplers report, which the Trainer's step plan is built on.
    nominal_length = len(rows) // batch_size if drop_last else -(-len(rows) // batch_size)
    run = {"trainer": run_trainer, "loop": run_loop}[a.engine]
    model, result = run(a, datasets, epochs, hf_args, loss_spec, nominal_length)
    result.update({"engine": a.engine, "versions": versions(),
                   "imported": {m: m in sys.modules for m in ("datasets", "accelerate")}})
    if a.save:
        model.save(a.save)
    if a.encode:
        texts = json.load(open(a.encode))
        emb = model.encode(texts, batch_size=32, convert_to_numpy=True, normalize_embeddings=False)
        result["embeddings"] = emb.astype("float64").tolist()
    with open(a.out, "w") as f:
        json.dump(result, f)


def run_loop(a, datasets, epochs, hf_args, loss_spec, nominal_length):
    from sentence_transformers import SentenceTransformer
    from st_training_loop import LoopError, train
    if a.eval_pairs or datasets[0][0] is not None or not is_loss_spec(loss_spec):
        sys.exit("st_trainer_reference --engine loop: one training dataset and one loss only, no --eval-pairs")
    _, rows, columns = datasets[0]
    model = SentenceTransformer(a.model, device=a.device)
    try:
        steps, train_loss, global_step, runtime = train(model, build_loss(model, loss_spec), rows, columns, epochs, hf_args,
                                                        nominal_length, torch.device(a.device))
    except LoopError as e:
        sys.exit(f"st_trainer_reference --engine loop: {a.args}: {e}")
    return model, {"steps": steps, "train_loss": train_loss, "global_step": global_step, "train_runtime": runtime}


def run_trainer(a, datasets, epochs, hf_args, loss_spec, nominal_length):
    from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    dataset = to_dataset(datasets)
    eval_dataset = to_dataset(read_named(a.eval_pairs, "--eval-pairs")) if a.eval_pairs else None
    out_dir = tempfile.mkdtemp(prefix="st-trainer-reference-")
    args = SentenceTransformerTrainingArguments(**{
        **hf_args, "output_dir": out_dir, "save_strategy": "no", "report_to": "none", "disable_tqdm": True,
        "use_cpu": a.device == "cpu",
    })
    model = SentenceTransformer(a.model, device=a.device)
    record = {"micro": [], "returned": [], "group_sizes": [], "steps": [], "in_training_step": False, "batches": [],
              "building": None, "train_is_dict": datasets[0][0] is not None}
    trainer_class = make_trainer_class(SentenceTransformerTrainer, epochs, nominal_length, record)
    names = [n for n, _, _ in datasets] if datasets[0][0] is not None else None
    trainer = trainer_class(model=model, args=args, train_dataset=dataset, eval_dataset=eval_dataset,
                            loss=build_losses(model, loss_spec, names))
    output = trainer.train()
    # Micro-batches after the last optimizer step happen only when the final epoch's last group was cut short
    # (a sampler that ran out): HF never steps on them. Their losses are reported, not dropped silently.
    result = {"steps": record["steps"], "train_loss": output.training_loss, "global_step": output.global_step,
              "train_runtime": output.metrics["train_runtime"], "unstepped_micro_losses": list(record["micro"])}
    if epochs is None:
        result["batches"] = record["batches"]
    # eval_loss as logged (full precision: the HF Trainer rounds only the training loss it logs)
    is_eval_loss = lambda k: k.startswith("eval_") and k.endswith("_loss")
    result["eval_log"] = [{k: v for k, v in entry.items() if k in ("step", "epoch") or is_eval_loss(k)}
                          for entry in trainer.state.log_history if any(is_eval_loss(k) for k in entry)]
    return model, result


def versions():
    import sentence_transformers, transformers
    return {"torch": torch.__version__, "sentence_transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__}


p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--model", required=True); p.add_argument("--pairs", required=True, action="append")
p.add_argument("--eval-pairs", action="append")
p.add_argument("--batches"); p.add_argument("--own-batches", action="store_true"); p.add_argument("--args", required=True)
p.add_argument("--device", choices=["cpu", "cuda"], default="cpu"); p.add_argument("--out", required=True)
p.add_argument("--save"); p.add_argument("--encode"); p.add_argument("--threads", type=int)
p.add_argument("--engine", choices=["trainer", "loop"], default="trainer")
parsed = p.parse_args()
if bool(parsed.batches) == parsed.own_batches:
    p.error("give exactly one of --batches FILE and --own-batches")
if parsed.own_batches and parsed.engine != "trainer":
    p.error("--own-batches needs --engine trainer (the loop engine takes its batches from --batches)")
main(parsed)
