"""sentence-transformers' throughput on the inputs embedforge's benchmark uses, measured in the same run.

  st_bench.py --model DIR --pairs FILE.jsonl --batch 32 --steps 30 --warmup 5 --encode-texts 1024 [--threads N] --device cpu|cuda [--bf16] [--tf32]

The training step is the one SentenceTransformerTrainer runs for MultipleNegativesRankingLoss (tokenize
and pad the batch, forward, loss, backward, clip at 1.0, AdamW, scheduler), without the trainer's logging
and data-loading overhead, so it is if anything faster than the trainer. Its data wait is the tokenization
inside the step (the trainer's default collator runs in the training process, between steps). The peak
resident memory (ru_maxrss) is read after training, before encoding. Prints one line: RESULT {json}.
"""
import argparse, json, resource, time
import torch

p = argparse.ArgumentParser()
p.add_argument("--model", required=True); p.add_argument("--pairs", required=True)
p.add_argument("--batch", type=int, default=32); p.add_argument("--steps", type=int, default=30)
p.add_argument("--warmup", type=int, default=5); p.add_argument("--device", default="cpu")
p.add_argument("--bf16", action="store_true"); p.add_argument("--tf32", action="store_true")
p.add_argument("--encode-batch", type=int, default=32)
p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's own)")
p.add_argument("--encode-texts", type=int, default=None, help="encode the first N passages (default: all)")
a = p.parse_args()

from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
from transformers import get_linear_schedule_with_warmup

if a.threads:
    torch.set_num_threads(a.threads)
if a.tf32:
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
rows = [json.loads(l) for l in open(a.pairs) if l.strip()]
model = SentenceTransformer(a.model, device=a.device)
loss_fn = MultipleNegativesRankingLoss(model)
cuda = a.device == "cuda"
opt = torch.optim.AdamW(model.parameters(), lr=2e-5, fused=cuda)
sched = get_linear_schedule_with_warmup(opt, max(1, a.steps // 10), a.steps)
sync = torch.cuda.synchronize if cuda else (lambda: None)
if cuda:
    torch.cuda.reset_peak_memory_stats()
model.train()
stamps, waits = [], []
for step in range(a.steps):
    t_data = time.perf_counter()
    idx = [(step * a.batch + j) % len(rows) for j in range(a.batch)]
    feats = []
    for col in ("anchor", "positive"):
        f = model.tokenize([rows[k][col] for k in idx])
        feats.append({k: (v.to(a.device) if torch.is_tensor(v) else v) for k, v in f.items()})
    waits.append(time.perf_counter() - t_data)
    with torch.autocast(a.device, dtype=torch.bfloat16, enabled=cuda and a.bf16):
        loss = loss_fn(feats, None)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step(); sched.step(); opt.zero_grad(set_to_none=True)
    loss.item()
    sync()
    stamps.append(time.perf_counter())
w = min(a.warmup, a.steps - 2)
train_rate = (a.steps - 1 - w) * a.batch / (stamps[-1] - stamps[w])
data_wait_share = sum(waits[w + 1:]) / (stamps[-1] - stamps[w])
peak_rss_bytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux
model.eval()
texts = [r["positive"] for r in rows][: a.encode_texts]
model.encode(texts[:256], batch_size=a.encode_batch)
sync(); t0 = time.perf_counter()
model.encode(texts, batch_size=a.encode_batch, convert_to_tensor=True)
sync(); t1 = time.perf_counter()
print("RESULT " + json.dumps({
    "train_pairs_per_s": train_rate, "data_wait_share": data_wait_share, "peak_rss_bytes": peak_rss_bytes, "encode_texts_per_s": len(texts) / (t1 - t0),
    "peak_gib": torch.cuda.max_memory_allocated() / 2**30 if cuda else None,
}), flush=True)
