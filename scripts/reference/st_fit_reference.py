"""sentence-transformers' own legacy `model.fit` (which runs SentenceTransformerTrainer underneath), for the
fit parity test: the same model folder, InputExamples and losses as embedforge's fit.

--spec FILE.json  {"model": DIR, "objectives": [{"examples": [{"texts": [...], "label": n}], "batch_size": n,
                   "no_duplicates": bool, "loss": <loss spec as in loss_reference.py>}], "fit": {fit's kwargs
                   except train_objectives / evaluator}, "evaluator": {"queries", "corpus", "relevant_docs"} | null,
                   "encode": [texts], "workdir": DIR}
--out FILE.json   {"micro_losses": [...] (every loss forward, in order), "callback": [[score, epoch, steps]],
                   "embeddings": [[...]] of "encode" after training, "versions"}
Dropout must be 0 in the model's config for the losses to be comparable.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch  # noqa: E402
import sentence_transformers  # noqa: E402
from sentence_transformers import InputExample, SentenceTransformer  # noqa: E402
from sentence_transformers.datasets import NoDuplicatesDataLoader  # noqa: E402
from sentence_transformers.sentence_transformer.evaluation import InformationRetrievalEvaluator  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402

from loss_reference import make_loss  # noqa: E402


class Recording(torch.nn.Module):
    """Passes the loss through and records each value (one per micro-batch)."""

    def __init__(self, inner, sink):
        super().__init__()
        self.inner = inner
        self.model = inner.model
        self.sink = sink

    def forward(self, features, labels):
        value = self.inner(features, labels)
        self.sink.append(value.item())
        return value

    def get_config_dict(self):
        return self.inner.get_config_dict()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spec", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)
    with open(args.spec, encoding="utf8") as f:
        spec = json.load(f)
    os.chdir(spec["workdir"])  # fit's default checkpoint folder is relative
    model = SentenceTransformer(spec["model"], device="cpu")
    micro_losses, calls = [], []
    objectives = []
    for o in spec["objectives"]:
        examples = [InputExample(texts=e["texts"], label=e.get("label", 0)) for e in o["examples"]]
        loader_cls = NoDuplicatesDataLoader if o.get("no_duplicates") else DataLoader
        loader = loader_cls(examples, batch_size=o["batch_size"])
        objectives.append((loader, Recording(make_loss(model, o["loss"]), micro_losses)))
    evaluator = None
    if spec.get("evaluator"):
        e = spec["evaluator"]
        evaluator = InformationRetrievalEvaluator(e["queries"], e["corpus"], {q: set(d) for q, d in e["relevant_docs"].items()})
    model.fit(train_objectives=objectives, evaluator=evaluator, callback=lambda s, ep, st: calls.append([s, ep, st]), **spec["fit"])
    model.eval()
    emb = model.encode(spec["encode"], convert_to_tensor=True, show_progress_bar=False).float()
    with open(args.out, "w", encoding="utf8") as f:
        json.dump(dict(micro_losses=micro_losses, callback=calls, embeddings=emb.tolist(),
                       versions=dict(torch=torch.__version__, sentence_transformers=sentence_transformers.__version__)), f)


if __name__ == "__main__":
    main()
