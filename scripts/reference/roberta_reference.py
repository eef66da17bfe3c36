"""Reference embeddings for the engine's RoBERTa / XLM-RoBERTa encoder, computed with transformers + sentence-transformers.

For each case (model_type x shape) builds a tiny random RobertaModel / XLMRobertaModel (or the MaskedLM head model, whose
file names the encoder "roberta.*"), with every parameter drawn at a scale that makes each position and weight matter,
runs padded random token ids (pad_token_id 1 never inside a text, lengths up to the longest the position table allows)
through it in eval mode and sentence-transformers' Pooling (mean), and writes to --out DIR/<case>/:
  model/        config.json + model.safetensors, as save_pretrained writes them
  ids.json      the token ids of each text (unpadded); columns (anchor, positive ids) and lossValue for the loss
  embeddings.safetensors  "mean": (N, H) fp32
  grads.safetensors       d loss / d parameter (names without "roberta.", no pooler) of sentence-transformers'
                          MultipleNegativesRankingLoss (cosine, scale 20) over [Transformer, Pooling(mean)], dropout 0

Usage: roberta_reference.py --out DIR
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
from transformers import (  # noqa: E402
    RobertaConfig,
    RobertaModel,
    XLMRobertaConfig,
    XLMRobertaForMaskedLM,
    XLMRobertaModel,
)

from encoder_reference import mean_pooled_model, mnrl_loss_and_grads, padded, random_texts  # noqa: E402

PAD = 1

SHAPES = {
    "small": dict(hidden_size=32, num_attention_heads=4, num_hidden_layers=2, intermediate_size=37, vocab_size=120,
                  max_position_embeddings=34),
    "wider": dict(hidden_size=48, num_attention_heads=6, num_hidden_layers=3, intermediate_size=64, vocab_size=250,
                  max_position_embeddings=66),
}
# (case name, config class, model class, shape); the MaskedLM model saves its encoder as "roberta.*"
CASES = [
    ("roberta-small", RobertaConfig, RobertaModel, "small"),
    ("roberta-wider", RobertaConfig, RobertaModel, "wider"),
    ("xlm-roberta-small", XLMRobertaConfig, XLMRobertaModel, "small"),
    ("xlm-roberta-wider-mlm", XLMRobertaConfig, XLMRobertaForMaskedLM, "wider"),
]


def build(config_cls, model_cls, shape: str, seed: int):
    config = config_cls(**SHAPES[shape], type_vocab_size=1, pad_token_id=PAD, bos_token_id=0, eos_token_id=2,
                        layer_norm_eps=1e-5, hidden_act="gelu", hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    torch.manual_seed(seed)
    model = model_cls(config).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            # Far from init so that a wrong position row or weight shows. LayerNorm scales around 1 and shifts small:
            # a large shift common to every token makes the mean-pooled embeddings alike and the ranking loss flat,
            # its gradients rounding noise.
            if "LayerNorm" in name:
                p.normal_(1.0 if name.endswith("weight") else 0.0, 0.3 if name.endswith("weight") else 0.05)
            else:
                p.normal_(0.0, 0.3)
    return model


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    for i, (name, config_cls, model_cls, shape) in enumerate(CASES):
        out = os.path.join(args.out, name)
        model = build(config_cls, model_cls, shape, seed=100 + i)
        model.save_pretrained(os.path.join(out, "model"), safe_serialization=True)
        encoder = model.roberta if hasattr(model, "roberta") else model
        cfg = encoder.config
        longest = cfg.max_position_embeddings - cfg.pad_token_id - 1
        gen = torch.Generator().manual_seed(7 + i)
        ids = random_texts([1, 2, 5, 9, longest - 1, longest, 13, longest], cfg.vocab_size, gen)
        with torch.no_grad():
            features = padded(ids, PAD)
            tokens = encoder(**features).last_hidden_state
            pooled = Pooling(cfg.hidden_size, pooling_mode="mean")({"token_embeddings": tokens, "attention_mask": features["attention_mask"]})
        save_file({"mean": pooled["sentence_embedding"].float().contiguous()}, os.path.join(out, "embeddings.safetensors"))
        columns = [random_texts([longest, 4, 17, 9], cfg.vocab_size, gen), random_texts([12, longest - 2, 3, 25], cfg.vocab_size, gen)]
        loss, grads = mnrl_loss_and_grads(mean_pooled_model(os.path.join(out, "model"), "eager"), columns, PAD)
        save_file(grads, os.path.join(out, "grads.safetensors"))
        with open(os.path.join(out, "ids.json"), "w") as f:
            json.dump({"ids": ids, "longest": longest, "hidden": cfg.hidden_size, "columns": columns, "lossValue": loss}, f)
    print(json.dumps([c[0] for c in CASES]))


if __name__ == "__main__":
    main()
