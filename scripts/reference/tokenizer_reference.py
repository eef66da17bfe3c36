"""Token ids of texts as sentence-transformers 6.0.1 produces them for a model folder.

Usage: tokenizer_reference.py --model DIR --texts texts.json --out ids.json [--max-seq-length N]

texts.json is a JSON array of strings; ids.json receives {"max_seq_length", "pad_token_id", "ids": [[...], ...]}.
The folder may lack model.safetensors (the shared folders carry no weights): the script loads the folder's
own tokenizer files, sentence_bert_config.json and modules.json through SentenceTransformer, with a tiny
random encoder of the same vocabulary standing in for the weights, which tokenization never reads.
"""
import argparse
import json
import os
import tempfile

import torch
from sentence_transformers import SentenceTransformer
from transformers import AutoConfig, AutoModel


def stand_in_folder(model_dir: str, tmp: str) -> str:
    """A copy of model_dir (symlinks) whose config.json and weights describe a tiny encoder."""
    for name in os.listdir(model_dir):
        if name in ("config.json", "model.safetensors", "pytorch_model.bin", "modules.json"):
            continue
        os.symlink(os.path.join(os.path.abspath(model_dir), name), os.path.join(tmp, name))
    with open(os.path.join(model_dir, "modules.json")) as f:
        modules = json.load(f)
    # Only the first module (the Transformer) tokenizes; pooling/normalize would need the real width.
    with open(os.path.join(tmp, "modules.json"), "w") as f:
        json.dump(modules[:1], f)
    config = AutoConfig.from_pretrained(model_dir)
    config.hidden_size, config.num_hidden_layers, config.num_attention_heads, config.intermediate_size = 32, 1, 2, 37
    torch.manual_seed(0)
    AutoModel.from_config(config).save_pretrained(tmp, safe_serialization=True)
    return tmp


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--texts", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--max-seq-length", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args()

    with open(args.texts, encoding="utf-8") as f:
        texts = json.load(f)
    with tempfile.TemporaryDirectory() as tmp:
        model = SentenceTransformer(stand_in_folder(args.model, tmp), device="cpu")
        if args.max_seq_length is not None:
            model.max_seq_length = args.max_seq_length
        ids = []
        for start in range(0, len(texts), args.batch_size):
            features = model.preprocess(texts[start:start + args.batch_size])
            for row, mask in zip(features["input_ids"].tolist(), features["attention_mask"].tolist()):
                ids.append([token for token, keep in zip(row, mask) if keep])
        result = {"max_seq_length": model.max_seq_length, "pad_token_id": model.tokenizer.pad_token_id, "ids": ids}
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
