"""What the per-architecture reference scripts (roberta_, mpnet_, modernbert_reference.py) share: padding token
ids into transformers' features, the model as sentence-transformers runs it ([Transformer, Pooling(mean)]), and
MultipleNegativesRankingLoss's value and every encoder gradient at the first step."""
from __future__ import annotations

import math
import os

import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers.base.modules import Transformer
from sentence_transformers.sentence_transformer import losses
from sentence_transformers.sentence_transformer.modules import Pooling
from sentence_transformers.util import cos_sim

HERE = os.path.dirname(os.path.abspath(__file__))
# Any tokenizer will do: the features are built from token ids here, the tokenizer is never called.
TOKENIZER_DIR = os.path.abspath(os.path.join(HERE, "..", "..", "..", "shared", "data", "models", "all-MiniLM-L6-v2"))
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json")


def padded(ids: list[list[int]], pad: int) -> dict[str, torch.Tensor]:
    """Right-padded input_ids and attention_mask, as a tokenizer would give them."""
    longest = max(len(t) for t in ids)
    input_ids = torch.full((len(ids), longest), pad, dtype=torch.long)
    mask = torch.zeros((len(ids), longest), dtype=torch.long)
    for r, t in enumerate(ids):
        input_ids[r, : len(t)] = torch.tensor(t)
        mask[r, : len(t)] = 1
    return {"input_ids": input_ids, "attention_mask": mask}


def random_texts(lengths: list[int], vocab_size: int, gen: torch.Generator) -> list[list[int]]:
    """Token ids from 3 up (0-2 are special or padding in every vocabulary here)."""
    return [torch.randint(3, vocab_size, (n,), generator=gen).tolist() for n in lengths]


def mean_pooled_model(model_dir: str, attn_implementation: str) -> SentenceTransformer:
    """[Transformer, Pooling(mean)] over a saved transformers folder (a tokenizer is copied beside it, never called)."""
    import shutil

    for name in TOKENIZER_FILES:
        shutil.copy(os.path.join(TOKENIZER_DIR, name), model_dir)
    transformer = Transformer(model_dir, model_kwargs={"attn_implementation": attn_implementation})
    return SentenceTransformer(modules=[transformer, Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")], device="cpu")


def mnrl_loss_and_grads(st: SentenceTransformer, columns: list[list[list[int]]], pad: int) -> tuple[float, dict[str, torch.Tensor]]:
    """MNRL (scale 20, cosine) over the columns in train mode; d loss / d parameter by the encoder's own names. The
    pooler (BERT-style models) never sees a gradient through sentence-transformers' forward and is left out."""
    st.train()
    st.zero_grad(set_to_none=True)
    loss = losses.MultipleNegativesRankingLoss(st, scale=20.0, similarity_fct=cos_sim)([padded(c, pad) for c in columns], None)
    loss.backward()
    grads = {n: p.grad.detach().clone().contiguous() for n, p in st[0].auto_model.named_parameters() if not n.startswith("pooler.")}
    assert math.isfinite(loss.item()) and all(torch.isfinite(g).all() for g in grads.values())
    return loss.item(), grads
