"""A tiny random BERT saved as a sentence-transformers folder, to serve as the frozen guide of the GIST
loss parity tests (test/losses/gistLosses.parity.test.ts).

It shares the tokenizer of --tokenizer-from (the guide must: embedforge runs the guide on the model's
token ids) and has its own width, depth, weights (--seed), pooling and Normalize module, so that a
test cannot pass by confusing it with the trained model. Dropout is 0. A larger initializer_range
than BERT's spreads its cosine similarities, so that the false-negative masks it draws are far from
their thresholds and both engines draw the same ones.

Usage: gist_guide_model.py --tokenizer-from MODEL_DIR --out DIR [--seed N] [--max-seq-length 64]
"""
from __future__ import annotations

import argparse
import os
import shutil

os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402
from sentence_transformers.base.modules import Normalize, Transformer  # noqa: E402
from sentence_transformers.sentence_transformer.modules import Pooling  # noqa: E402
from transformers import BertConfig, BertModel  # noqa: E402

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokenizer-from", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--max-seq-length", type=int, default=64)
    parser.add_argument("--initializer-range", type=float, default=0.2)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)

    raw = os.path.join(os.path.abspath(args.out) + ".raw")
    os.makedirs(raw, exist_ok=True)
    config = BertConfig(vocab_size=30522, hidden_size=24, num_hidden_layers=1, num_attention_heads=4, intermediate_size=29,
                        max_position_embeddings=512, type_vocab_size=2, hidden_act="gelu", hidden_dropout_prob=0.0,
                        attention_probs_dropout_prob=0.0, initializer_range=args.initializer_range)
    BertModel(config).save_pretrained(raw)
    for name in TOKENIZER_FILES:
        shutil.copy(os.path.join(args.tokenizer_from, name), raw)

    transformer = Transformer(raw, max_seq_length=args.max_seq_length)
    pooling = Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
    SentenceTransformer(modules=[transformer, pooling, Normalize()], device="cpu").save(args.out)
    shutil.rmtree(raw)


if __name__ == "__main__":
    main()
