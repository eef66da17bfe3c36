"""sentence-transformers side of the interop and real-weights tests.

  make   --out DIR --tokenizer DIR --pooling cls|mean|max|lasttoken [--normalize] [--hidden 64 --layers 2
         --heads 4 --intermediate 128 --max-seq-length 128 --seed 0]
         A randomly initialised BERT of the given shape with a real tokenizer, saved by sentence-transformers.
  encode --model DIR --out FILE.npy [--model DIR2 --out FILE2.npy ...] --texts FILE.json [--batch-size 16]
         sentence-transformers' embeddings (fp32, CPU, no normalisation beyond the model's own modules).
"""
import argparse, json, os, sys
import numpy as np
import torch


def make(a):
    from transformers import BertConfig, BertModel, AutoTokenizer
    from sentence_transformers import SentenceTransformer, models
    torch.manual_seed(a.seed)
    hf_dir = a.out + ".hf"
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    cfg = BertConfig(vocab_size=30522, hidden_size=a.hidden, num_hidden_layers=a.layers, num_attention_heads=a.heads,
                     intermediate_size=a.intermediate, max_position_embeddings=512)
    BertModel(cfg).save_pretrained(hf_dir)
    AutoTokenizer.from_pretrained(a.tokenizer).save_pretrained(hf_dir)
    tr = models.Transformer(hf_dir, max_seq_length=a.max_seq_length)
    mods = [tr, models.Pooling(a.hidden, a.pooling)]
    if a.normalize:
        mods.append(models.Normalize())
    SentenceTransformer(modules=mods, device="cpu").save(a.out)


def encode(a):
    from sentence_transformers import SentenceTransformer
    texts = json.load(open(a.texts))
    if len(a.model) != len(a.out):
        sys.exit("encode: give one --out per --model")
    for model_dir, out in zip(a.model, a.out):
        model = SentenceTransformer(model_dir, device="cpu")
        emb = model.encode(texts, batch_size=a.batch_size, convert_to_numpy=True, normalize_embeddings=False)
        np.save(out, emb.astype(np.float32))


p = argparse.ArgumentParser()
sub = p.add_subparsers(dest="cmd", required=True)
m = sub.add_parser("make")
m.add_argument("--out", required=True); m.add_argument("--tokenizer", required=True)
m.add_argument("--pooling", default="mean"); m.add_argument("--normalize", action="store_true")
m.add_argument("--hidden", type=int, default=64); m.add_argument("--layers", type=int, default=2)
m.add_argument("--heads", type=int, default=4); m.add_argument("--intermediate", type=int, default=128)
m.add_argument("--max-seq-length", type=int, default=128); m.add_argument("--seed", type=int, default=0)
e = sub.add_parser("encode")
e.add_argument("--model", action="append", required=True); e.add_argument("--texts", required=True)
e.add_argument("--out", action="append", required=True)
e.add_argument("--batch-size", type=int, default=16)
a = p.parse_args()
{"make": make, "encode": encode}[a.cmd](a)
