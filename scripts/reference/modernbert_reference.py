"""Reference numbers for the engine's ModernBERT encoder, computed with transformers + sentence-transformers.

For each case builds a tiny random ModernBertModel (or ModernBertForMaskedLM, whose file names the encoder "model.*")
with every parameter drawn far from its init, local_attention small against texts up to ~60 tokens (so the sliding
window cuts), global and local rope_theta far apart (so swapping them shows), and writes to --out DIR/<case>/:
  model/                   config.json + model.safetensors as save_pretrained writes them (+ a tokenizer that
                           sentence-transformers' Transformer loads but never calls); the "legacy" case rewrites
                           config.json to the older keys real checkpoints carry (global_attn_every_n_layers,
                           global_rope_theta, local_rope_theta; no layer_types / rope_parameters)
  ids.json                 token ids of the texts embedded (unpadded), the two MNRL columns, the loss value
  embeddings.safetensors   "mean": (N, H) fp32, eval mode, sentence-transformers' Pooling (mean)
  grads.safetensors        d loss / d parameter of sentence-transformers' MultipleNegativesRankingLoss (scale 20,
                           cos_sim) over the columns, the model [Transformer, Pooling(mean)] in train mode, dropout 0

Usage: modernbert_reference.py --out DIR
"""
from __future__ import annotations

import argparse
import json
import os

os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from transformers import ModernBertConfig, ModernBertForMaskedLM, ModernBertModel  # noqa: E402

from encoder_reference import mean_pooled_model, mnrl_loss_and_grads, padded  # noqa: E402

PAD = 0

# Intermediate sizes that are multiples of nothing catch a transposed or misshapen Wi / Wo or a wrong GeGLU split.
CASES = [
    dict(name="legacy-64x3", model=ModernBertModel, legacy_config=True,
         config=dict(hidden_size=64, num_attention_heads=4, num_hidden_layers=3, intermediate_size=50, vocab_size=120,
                     global_attn_every_n_layers=3, local_attention=16, global_rope_theta=5000.0, local_rope_theta=77.0)),
    dict(name="mlm-96x4-biases", model=ModernBertForMaskedLM, legacy_config=False,
         config=dict(hidden_size=96, num_attention_heads=6, num_hidden_layers=4, intermediate_size=70, vocab_size=150,
                     global_attn_every_n_layers=2, local_attention=12, global_rope_theta=20000.0, local_rope_theta=300.0,
                     norm_bias=True, attention_bias=True, mlp_bias=True, hidden_activation="gelu_pytorch_tanh")),
]
EMBED_LENGTHS = [1, 2, 7, 9, 17, 25, 40, 60, 33, 58]
ANCHOR_LENGTHS = [12, 45, 3, 60]
POSITIVE_LENGTHS = [30, 9, 52, 21]


def build(case: dict, seed: int):
    config = ModernBertConfig(**case["config"], pad_token_id=PAD, bos_token_id=1, eos_token_id=2, cls_token_id=1,
                              sep_token_id=2, attn_implementation="sdpa")
    torch.manual_seed(seed)
    model = case["model"](config).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            # far from init so that a wrong weight, position or window shows; norm weights around 1
            p.normal_(1.0 if "norm" in name and name.endswith("weight") else 0.0, 0.3)
    return model


def to_legacy_config(path: str, case: dict) -> None:
    with open(path, encoding="utf8") as f:
        cfg = json.load(f)
    for key in ("layer_types", "rope_parameters"):
        cfg.pop(key, None)
    for key in ("global_attn_every_n_layers", "global_rope_theta", "local_rope_theta"):
        cfg[key] = case["config"][key]
    with open(path, "w", encoding="utf8") as f:
        json.dump(cfg, f, indent=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)
    for i, case in enumerate(CASES):
        out = os.path.join(os.path.abspath(args.out), case["name"])
        model_dir = os.path.join(out, "model")
        build(case, seed=300 + i).save_pretrained(model_dir, safe_serialization=True)
        if case["legacy_config"]:
            to_legacy_config(os.path.join(model_dir, "config.json"), case)
        # The model as sentence-transformers loads it from that folder (the config's rope / layer keys read by transformers).
        st = mean_pooled_model(model_dir, "sdpa")
        cfg = st[0].auto_model.config
        assert cfg.rope_parameters["full_attention"]["rope_theta"] == case["config"]["global_rope_theta"]
        assert cfg.rope_parameters["sliding_attention"]["rope_theta"] == case["config"]["local_rope_theta"]
        gen = torch.Generator().manual_seed(11 + i)
        draw = lambda n: torch.randint(3, cfg.vocab_size, (n,), generator=gen).tolist()  # noqa: E731

        embed_ids = [draw(n) for n in EMBED_LENGTHS]
        st.eval()
        with torch.no_grad():
            emb = st(padded(embed_ids, PAD))["sentence_embedding"]
        save_file({"mean": emb.float().contiguous()}, os.path.join(out, "embeddings.safetensors"))

        columns = [[draw(n) for n in ANCHOR_LENGTHS], [draw(n) for n in POSITIVE_LENGTHS]]
        loss, grads = mnrl_loss_and_grads(st, columns, PAD)
        save_file(grads, os.path.join(out, "grads.safetensors"))

        with open(os.path.join(out, "ids.json"), "w", encoding="utf8") as f:
            json.dump({"ids": embed_ids, "hidden": cfg.hidden_size, "columns": columns, "lossValue": loss}, f)
    print(json.dumps([c["name"] for c in CASES]))


if __name__ == "__main__":
    main()
