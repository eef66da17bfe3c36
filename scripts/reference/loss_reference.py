"""Loss values and parameter gradients of sentence-transformers' own losses, for the loss parity tests.

Reads --cases FILE (JSON written by test/losses/lossParity.ts): the model folder (a tiny BERT with a real
tokenizer) and a list of cases, each:
  name       case name (file names)
  pooling    cls | mean | max | lasttoken;  normalize: bool
  loss       {"class": "<sentence-transformers loss class>", "kwargs": {...}, "loss": {<inner, for modifiers>}}
             kwargs values written "@util.cos_sim", "@losses.TripletDistanceMetric.EUCLIDEAN", ... are
             resolved to those objects (util = sentence_transformers.util, losses = its loss module,
             torch); a trailing "()" calls the object ("@torch.nn.L1Loss()" is an instance).
  texts      [[column 0 texts], [column 1 texts], ...]
  labels     [numbers] or null
  guide      optional: a sentence-transformers folder, loaded as the kwarg "@guide" stands for (GIST's guide model)
  lossSeed   optional: torch.manual_seed(lossSeed) right before the loss is built (its own parameters,
             e.g. SoftmaxLoss' classifier, are drawn then, as the engine draws them after manualSeed)
  lossParameters  optional {name: nested list}: values for the loss's own parameters, by their name in the
             loss module (e.g. "classifier.weight", "loss.classifier.weight" under a modifier)
  randomSamples   optional [[indices], ...]: what each call of random.sample returns while the loss runs (the
             modifiers' layer and dim choices), in call order; every entry must be used
Writes to --out DIR: grads_<name>.safetensors (d loss / d parameter of every encoder parameter, and of
the loss's own parameters as the engine names them: "losses.0.<name in the loss module>") and
result.json: {cases: [{name, loss, ids: [[token ids of each text, column-major]], sampleCalls}]}
(sampleCalls: [population size, k] of each random.sample call).
Dropout is 0 in the model's config, so both engines compute the same function.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import warnings

os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from sentence_transformers import SentenceTransformer, util  # noqa: E402
from sentence_transformers.base.modules import Normalize, Transformer  # noqa: E402
from sentence_transformers.sentence_transformer import losses  # noqa: E402
from sentence_transformers.sentence_transformer.modules import Pooling  # noqa: E402

NAMESPACES = {"util": util, "losses": losses, "torch": torch}


def resolve(value, guide=None):
    if value == "@guide":
        if guide is None:
            raise ValueError('a kwarg is "@guide" but the case names no guide folder')
        return guide
    if isinstance(value, str) and value.startswith("@"):
        path, call = (value[1:-2], True) if value.endswith("()") else (value[1:], False)
        head, *rest = path.split(".")
        obj = NAMESPACES[head]
        for part in rest:
            obj = getattr(obj, part)
        return obj() if call else obj
    if isinstance(value, list):
        return [resolve(v, guide) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v, guide) for k, v in value.items()}
    return value


def build_st(model_dir: str, max_seq_length: int, pooling: str, normalize: bool) -> SentenceTransformer:
    transformer = Transformer(model_dir, max_seq_length=max_seq_length)
    modules = [transformer, Pooling(transformer.get_embedding_dimension(), pooling_mode=pooling)]
    if normalize:
        modules.append(Normalize())
    return SentenceTransformer(modules=modules, device="cpu")


def make_loss(model: SentenceTransformer, spec: dict, guide=None) -> torch.nn.Module:
    cls = getattr(losses, spec["class"])
    kwargs = resolve(spec.get("kwargs", {}), guide)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated classes are still the names users write
        if "loss" in spec:
            return cls(model, make_loss(model, spec["loss"], guide), **kwargs)
        return cls(model, **kwargs)


def token_ids(model: SentenceTransformer, texts: list[str]) -> list[list[int]]:
    features = model.preprocess(texts)
    ids, mask = features["input_ids"], features["attention_mask"]
    return [row[m.bool()].tolist() for row, m in zip(ids, mask)]


def encoder_params(model: SentenceTransformer) -> dict[str, torch.nn.Parameter]:
    # The engine trains the encoder only; the pooler never sees a gradient through ST's forward.
    return {n: p for n, p in model[0].auto_model.named_parameters() if not n.startswith("pooler.")}


def loss_params(loss_fn: torch.nn.Module, model: torch.nn.Module | None = None) -> dict[str, torch.nn.Parameter]:
    # The loss module holds the model too (as .model, or inner.model, or ContrastiveTension's .model2), and GIST's
    # frozen guide (.guide): its own parameters are the rest.
    held = ("model", "guide")
    model_ids = {id(p) for p in model.parameters()} if model is not None else set()
    own = {}
    for n, p in loss_fn.named_parameters():
        if id(p) in model_ids:
            continue
        copy = re.match(r"(\w+)\.0\.(?:auto_)?model\.(.+)", n)
        if copy and copy.group(1) not in held:
            # A copy of the model that the loss trains (ContrastiveTension's model1, its Transformer module 0):
            # "<attr>.<encoder name>" as the engine names it, its pooler left out as the model's is.
            if not copy.group(2).startswith("pooler."):
                own[f"{copy.group(1)}.{copy.group(2)}"] = p
            continue
        if not any(n.startswith(f"{h}.") or f".{h}." in n for h in held):
            own[n] = p
    return own


@contextlib.contextmanager
def scripted_random_sample(samples: list[list[int]] | None, calls: list[list[int]]):
    """random.sample returns the given index lists in order (the modifiers sample indices of range(n))."""
    if samples is None:
        yield
        return
    queue = [list(s) for s in samples]
    original = random.sample

    def sample(population, k):
        population = list(population)
        calls.append([len(population), k])
        if not queue:
            raise RuntimeError(f"random.sample called more often than the case's randomSamples give ({len(samples)})")
        chosen = queue.pop(0)
        if len(chosen) != k or any(i not in population for i in chosen):
            raise RuntimeError(f"randomSamples entry {chosen} is not {k} of {population}")
        return chosen

    random.sample = sample
    try:
        yield
        if queue:
            raise RuntimeError(f"{len(queue)} randomSamples entries were never drawn")
    finally:
        random.sample = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)  # deterministic summation order, and polite on a shared machine
    with open(args.cases, encoding="utf8") as f:
        spec = json.load(f)
    os.makedirs(args.out, exist_ok=True)
    results = []
    for case in spec["cases"]:
        torch.manual_seed(case.get("seed", 0))
        model = build_st(spec["modelDir"], spec["maxSeqLength"], case["pooling"], case["normalize"])
        model.train()
        if case.get("lossSeed") is not None:
            torch.manual_seed(case["lossSeed"])
        guide = SentenceTransformer(case["guide"], device="cpu") if case.get("guide") else None
        loss_fn = make_loss(model, case["loss"], guide)
        own = loss_params(loss_fn, model)
        with torch.no_grad():
            for name, value in (case.get("lossParameters") or {}).items():
                own[name].copy_(torch.tensor(value, dtype=own[name].dtype))
        features = [model.preprocess(col) for col in case["texts"]]
        labels = None if case.get("labels") is None else torch.tensor(case["labels"])
        model.zero_grad(set_to_none=True)
        sample_calls: list[list[int]] = []
        with scripted_random_sample(case.get("randomSamples"), sample_calls):
            loss = loss_fn(features, labels)
        loss.backward()
        params = {**encoder_params(model), **{f"losses.0.{n}": p for n, p in own.items()}}
        grads = {n: (p.grad if p.grad is not None else torch.zeros_like(p)).detach().contiguous() for n, p in params.items()}
        save_file(grads, os.path.join(args.out, f"grads_{case['name']}.safetensors"))
        ids = [t for col in case["texts"] for t in token_ids(model, col)]
        results.append(dict(name=case["name"], loss=loss.item(), ids=ids, sampleCalls=sample_calls))
    with open(os.path.join(args.out, "result.json"), "w", encoding="utf8") as f:
        json.dump(dict(cases=results, torch=torch.__version__), f)


if __name__ == "__main__":
    main()
