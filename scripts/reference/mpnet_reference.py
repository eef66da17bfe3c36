"""Reference embeddings, loss and gradients for the engine's MPNet encoder, computed with transformers + sentence-transformers.

For each case (shape x head) builds a tiny random MPNetModel (or MPNetForMaskedLM, whose file names the encoder "mpnet.*"
and adds lm_head.*), with every parameter drawn far from its init so that each position row, weight and relative-position
bucket matters (the bucket table at std 1, so one wrong bucket shows), and texts long enough (up to the longest the
position table allows, > 128 tokens) that relative distances reach every bucket, the last one past max_distance 128.
Random token ids, never pad id 1 inside a text (transformers counts positions over ids != 1). Writes to --out DIR/<case>/:
  model/                  config.json + model.safetensors, as save_pretrained writes them
  ids.json                ids (texts to embed), longest, hidden, columns (anchor, positive ids for the loss), lossValue
  embeddings.safetensors  "mean": (N, H) fp32, MPNetModel in eval mode + sentence-transformers' Pooling (mean)
  grads.safetensors       d loss / d parameter (names without "mpnet.", no pooler) of sentence-transformers'
                          MultipleNegativesRankingLoss (cosine, scale 20) over SentenceTransformer(Transformer, Pooling
                          mean) on the columns, train mode with dropout 0

Usage: mpnet_reference.py --out DIR
"""
from __future__ import annotations

import argparse
import json
import os

os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from sentence_transformers.sentence_transformer.modules import Pooling  # noqa: E402
from transformers import MPNetConfig, MPNetForMaskedLM, MPNetModel  # noqa: E402

from encoder_reference import mean_pooled_model, mnrl_loss_and_grads, padded, random_texts  # noqa: E402

PAD = 1  # transformers' MPNetEmbeddings.padding_idx
# Intermediate sizes not a multiple of the hidden size catch transposed weights. The position tables leave
# 140 / 144 text positions (2 rows before the first), so distances reach past max_distance 128.
SHAPES = {
    "small": dict(hidden_size=64, num_attention_heads=4, num_hidden_layers=2, intermediate_size=96, vocab_size=150,
                  max_position_embeddings=146),
    "wider": dict(hidden_size=96, num_attention_heads=6, num_hidden_layers=3, intermediate_size=130, vocab_size=300,
                  max_position_embeddings=142),
}
# (case name, model class, shape); the MaskedLM model saves its encoder as "mpnet.*" beside lm_head.*
CASES = [
    ("mpnet-small", MPNetModel, "small"),
    ("mpnet-wider", MPNetModel, "wider"),
    ("mpnet-small-mlm", MPNetForMaskedLM, "small"),
]


def build(model_cls, shape: str, seed: int):
    config = MPNetConfig(**SHAPES[shape], pad_token_id=PAD, bos_token_id=0, eos_token_id=2, layer_norm_eps=1e-5,
                         hidden_act="gelu", hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
                         relative_attention_num_buckets=32)
    torch.manual_seed(seed)
    model = model_cls(config).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            # Far from init so that a wrong position row, weight or bucket shows; the bucket table at std 1 so that
            # one wrong bucket moves the scores. LayerNorm shifts stay small: a large shift common to every token
            # makes all mean-pooled embeddings alike and the ranking loss flat (its gradients rounding noise).
            if ("LayerNorm" in name or "layer_norm" in name) and name.endswith("weight"):
                p.normal_(1.0, 0.3)
            elif "LayerNorm" in name or "layer_norm" in name:
                p.normal_(0.0, 0.05)
            else:
                p.normal_(0.0, 1.0 if name.endswith("relative_attention_bias.weight") else 0.3)
    return model


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)  # deterministic summation order, and polite on a shared machine
    for i, (name, model_cls, shape) in enumerate(CASES):
        out = os.path.join(args.out, name)
        model_dir = os.path.join(out, "model")
        model = build(model_cls, shape, seed=200 + i)
        model.save_pretrained(model_dir, safe_serialization=True)
        encoder = model.mpnet if hasattr(model, "mpnet") else model
        cfg = encoder.config
        longest = cfg.max_position_embeddings - PAD - 1
        gen = torch.Generator().manual_seed(17 + i)
        ids = random_texts([1, 2, 9, 16, 17, 33, 65, longest - 1, longest, 129, 130], cfg.vocab_size, gen)
        with torch.no_grad():
            features = padded(ids, PAD)
            tokens = encoder(**features).last_hidden_state
            pooled = Pooling(cfg.hidden_size, pooling_mode="mean")({"token_embeddings": tokens, "attention_mask": features["attention_mask"]})
        save_file({"mean": pooled["sentence_embedding"].float().contiguous()}, os.path.join(out, "embeddings.safetensors"))

        columns = [random_texts([longest, 5, 33, 70, 17, 131], cfg.vocab_size, gen),
                   random_texts([12, longest - 3, 64, 3, 129, 40], cfg.vocab_size, gen)]
        loss, grads = mnrl_loss_and_grads(mean_pooled_model(model_dir, "eager"), columns, PAD)
        save_file(grads, os.path.join(out, "grads.safetensors"))
        with open(os.path.join(out, "ids.json"), "w") as f:
            json.dump({"ids": ids, "longest": longest, "hidden": cfg.hidden_size, "columns": columns, "lossValue": loss}, f)
    print(json.dumps([c[0] for c in CASES]))


if __name__ == "__main__":
    main()
