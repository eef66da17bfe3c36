"""Reference numbers for the native engine, computed with PyTorch + sentence-transformers.

Builds a tiny random BERT that uses the real all-MiniLM-L6-v2 tokenizer (vocab 30522), tokenizes real
(anchor, positive) rows of the legal data set with sentence-transformers' own tokenizer, and writes to
--out DIR:
  model/                      config.json + model.safetensors (+ tokenizer files): the weights under test
  reference.json              packed token ids, the loss cases and their loss values, the AdamW run
  embeddings.safetensors      eval-mode embeddings for every pooling mode, with and without Normalize
  grads_<case>.safetensors    d loss / d parameter for every loss case (dropout 0 so masks cannot differ)
  adamw_params.safetensors    parameters after the AdamW run (HF Trainer semantics)
  adamw_state.safetensors     AdamW moments/steps after the run, named as the engine names them

Usage: engine_reference.py --out DIR [--shape tiny|minilm-tiny]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import warnings

os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402
from sentence_transformers.base.modules import Normalize, Transformer  # noqa: E402
from sentence_transformers.sentence_transformer import losses  # noqa: E402
from sentence_transformers.sentence_transformer.modules import Pooling  # noqa: E402
from sentence_transformers.util import cos_sim, dot_score  # noqa: E402
from transformers import BertConfig, BertModel, get_linear_schedule_with_warmup  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.abspath(os.path.join(HERE, "..", "..", "..", "shared", "data"))
TOKENIZER_DIR = os.path.join(SHARED, "models", "all-MiniLM-L6-v2")
LEGAL = os.path.join(SHARED, "legal-anchor-positive", "train_dataset.json")

# Intermediate 37 (not a multiple of anything) catches transposed or misshapen weights.
SHAPES = {
    "tiny": dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37),
    "minilm-tiny": dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=96),
}
MAX_SEQ_LENGTH = 48
BATCH = 4

# Each loss case: the pooling the engine must be built with, the loss, and how many columns it reads.
# No case pools with cls or lasttoken: in a random tiny BERT those tokens ([CLS], [SEP]) come out nearly
# the same for every text, the loss is flat and its gradients are rounding noise (the embeddings test
# covers both modes).
LOSS_CASES = [
    dict(name="mnrl", pooling="mean", normalize=True, loss="MultipleNegativesRankingLoss", similarity="cosine", scale=20.0, columns=2),
    dict(name="mnsrl", pooling="mean", normalize=True, loss="MultipleNegativesSymmetricRankingLoss", similarity="cosine", scale=20.0, columns=2),
    dict(name="mnrl_hard_negatives", pooling="mean", normalize=True, loss="MultipleNegativesRankingLoss", similarity="cosine", scale=20.0, columns=3),
    dict(name="mnsrl_hard_negatives", pooling="mean", normalize=True, loss="MultipleNegativesSymmetricRankingLoss", similarity="cosine", scale=20.0, columns=3),
    dict(name="mnrl_dot_mean", pooling="mean", normalize=False, loss="MultipleNegativesRankingLoss", similarity="dot", scale=1.0, columns=2),
    dict(name="matryoshka", pooling="mean", normalize=True, loss="MultipleNegativesRankingLoss", similarity="cosine", scale=20.0, columns=3,
         matryoshka=dict(dims=[32, 16, 8], weights=[1.0, 1.0, 1.0])),
    dict(name="matryoshka_weighted", pooling="mean", normalize=True, loss="MultipleNegativesSymmetricRankingLoss", similarity="cosine", scale=20.0,
         columns=2, matryoshka=dict(dims=[8, 32, 16], weights=[0.25, 1.0, 0.5])),
    dict(name="matryoshka_dot_max", pooling="max", normalize=False, loss="MultipleNegativesRankingLoss", similarity="dot", scale=1.0, columns=2,
         matryoshka=dict(dims=[32, 16], weights=[1.0, 0.5])),
]

ADAMW = dict(base_lr=2e-3, warmup_steps=1, total_steps=4, optimizer_steps=3, accumulation=2, weight_decay=0.01,
             beta1=0.9, beta2=0.999, eps=1e-8, max_grad_norm=1.0)


def read_rows(n: int) -> list[dict]:
    rows = []
    with open(LEGAL, encoding="utf8") as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
            if len(rows) == n:
                break
    return rows


def build_st(model_dir: str, pooling: str, normalize: bool) -> SentenceTransformer:
    transformer = Transformer(model_dir, max_seq_length=MAX_SEQ_LENGTH)
    modules = [transformer, Pooling(transformer.get_embedding_dimension(), pooling_mode=pooling)]
    if normalize:
        modules.append(Normalize())
    return SentenceTransformer(modules=modules, device="cpu")


def token_ids(model: SentenceTransformer, texts: list[str]) -> list[list[int]]:
    features = model.preprocess(texts)
    ids, mask = features["input_ids"], features["attention_mask"]
    return [row[m.bool()].tolist() for row, m in zip(ids, mask)]


def make_loss(model: SentenceTransformer, case: dict) -> torch.nn.Module:
    sim = cos_sim if case["similarity"] == "cosine" else dot_score
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MNSRL is deprecated in 6.x but still the class users name
        cls = getattr(losses, case["loss"])
        inner = cls(model, scale=case["scale"], similarity_fct=sim)
    if "matryoshka" in case:
        m = case["matryoshka"]
        return losses.MatryoshkaLoss(model, inner, matryoshka_dims=m["dims"], matryoshka_weights=m["weights"])
    return inner


def encoder_params(model: SentenceTransformer) -> dict[str, torch.nn.Parameter]:
    # The engine trains the encoder only; the pooler never sees a gradient through ST's forward.
    return {n: p for n, p in model[0].auto_model.named_parameters() if not n.startswith("pooler.")}


def loss_and_grads(model: SentenceTransformer, case: dict, columns: list[list[str]]) -> tuple[float, dict[str, torch.Tensor]]:
    model.train()
    model.zero_grad(set_to_none=True)
    loss_fn = make_loss(model, case)
    features = [model.preprocess(col) for col in columns[: case["columns"]]]
    loss = loss_fn(features, None)
    loss.backward()
    grads = {n: p.grad.detach().clone() for n, p in encoder_params(model).items()}
    model.zero_grad(set_to_none=True)
    return loss.item(), grads


def adamw_run(model_dir: str, rows: list[dict]) -> tuple[dict, dict, dict]:
    """HF Trainer semantics: loss / accumulation, backward per micro-batch, clip_grad_norm_, AdamW with
    decay and no-decay groups, scheduler step after each optimizer step, zero_grad."""
    a = ADAMW
    model = build_st(model_dir, "mean", True)
    model.train()
    params = encoder_params(model)
    decay = [p for n, p in params.items() if "bias" not in n and "LayerNorm" not in n]
    no_decay = [p for n, p in params.items() if "bias" in n or "LayerNorm" in n]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": a["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}],
        lr=a["base_lr"], betas=(a["beta1"], a["beta2"]), eps=a["eps"], foreach=False, fused=False)
    scheduler = get_linear_schedule_with_warmup(optimizer, a["warmup_steps"], a["total_steps"])
    loss_fn = make_loss(model, LOSS_CASES[0])
    micro_batches, micro_losses, lrs, grad_norms = [], [], [], []
    cursor = 0
    for _ in range(a["optimizer_steps"]):
        for _ in range(a["accumulation"]):
            chunk = rows[cursor: cursor + BATCH]
            cursor += BATCH
            cols = [[r["anchor"] for r in chunk], [r["positive"] for r in chunk]]
            micro_batches.append([token_ids(model, c) for c in cols])
            loss = loss_fn([model.preprocess(c) for c in cols], None)
            micro_losses.append(loss.item())
            (loss / a["accumulation"]).backward()
        grad_norms.append(torch.nn.utils.clip_grad_norm_(list(params.values()), a["max_grad_norm"]).item())
        lrs.append(scheduler.get_last_lr()[0])
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
    after = {n: p.detach().clone() for n, p in params.items()}
    state = {}
    for n, p in params.items():
        s = optimizer.state[p]
        state[f"optimizer.exp_avg.{n}"] = s["exp_avg"].clone()
        state[f"optimizer.exp_avg_sq.{n}"] = s["exp_avg_sq"].clone()
        state[f"optimizer.step.{n}"] = torch.tensor(int(s["step"].item()), dtype=torch.int64)
    info = dict(microBatches=micro_batches, losses=micro_losses, learningRates=lrs, gradNorms=grad_norms, **a)
    return info, after, state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="tiny")
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)  # deterministic summation order, and polite on a shared machine

    out = os.path.abspath(args.out)
    model_dir = os.path.join(out, "model")
    os.makedirs(model_dir, exist_ok=True)
    config = BertConfig(vocab_size=30522, max_position_embeddings=512, type_vocab_size=2, hidden_act="gelu",
                        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, **SHAPES[args.shape])
    BertModel(config).save_pretrained(model_dir)
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        shutil.copy(os.path.join(TOKENIZER_DIR, name), model_dir)

    rows = read_rows(BATCH * 2 + BATCH * ADAMW["optimizer_steps"] * ADAMW["accumulation"])
    batch_rows, negative_rows = rows[:BATCH], rows[BATCH: 2 * BATCH]
    columns = [[r["anchor"] for r in batch_rows], [r["positive"] for r in batch_rows], [r["positive"] for r in negative_rows]]

    base = build_st(model_dir, "mean", True)
    column_ids = [token_ids(base, c) for c in columns]
    all_texts = [t for c in columns for t in c]

    embeddings = {}
    for pooling in ("cls", "mean", "max", "lasttoken"):
        for normalize in (False, True):
            model = build_st(model_dir, pooling, normalize)
            model.eval()
            emb = model.encode(all_texts, batch_size=5, convert_to_tensor=True, show_progress_bar=False)
            embeddings[f"{pooling}{'_normalize' if normalize else ''}"] = emb.float().contiguous()
    save_file(embeddings, os.path.join(out, "embeddings.safetensors"))

    cases = []
    for case in LOSS_CASES:
        model = build_st(model_dir, case["pooling"], case["normalize"])
        loss, grads = loss_and_grads(model, case, columns)
        save_file({n: g.contiguous() for n, g in grads.items()}, os.path.join(out, f"grads_{case['name']}.safetensors"))
        cases.append({**case, "lossValue": loss})
        assert math.isfinite(loss)

    adamw, after, state = adamw_run(model_dir, rows[2 * BATCH:])
    save_file({n: t.contiguous() for n, t in after.items()}, os.path.join(out, "adamw_params.safetensors"))
    save_file(state, os.path.join(out, "adamw_state.safetensors"))

    with open(os.path.join(out, "reference.json"), "w", encoding="utf8") as f:
        json.dump(dict(shape=args.shape, maxSeqLength=MAX_SEQ_LENGTH, batchSize=BATCH, columns=column_ids,
                       lossCases=cases, adamw=adamw, torch=torch.__version__), f)
    print(f"engine reference written to {out}")


if __name__ == "__main__":
    main()
