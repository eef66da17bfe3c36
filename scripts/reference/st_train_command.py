"""sentence-transformers' side of scripts/bench-train-command.sh: the whole training job as a user runs it with
SentenceTransformerTrainer (load the model and rows, train with MultipleNegativesRankingLoss, save the model), the
job `embedforge train` runs from the config the script writes.

  st_train_command.py --model DIR --pairs FILE.jsonl --batch 32 --epochs 1 --out DIR

Arguments as the config's: learning rate 2e-5, linear schedule, warmup ratio 0.1, seed 42, no checkpoints, fp32.
"""
import argparse, json

p = argparse.ArgumentParser()
p.add_argument("--model", required=True); p.add_argument("--pairs", required=True)
p.add_argument("--batch", type=int, default=32); p.add_argument("--epochs", type=int, default=1)
p.add_argument("--out", required=True)
a = p.parse_args()

from datasets import Dataset
from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer, SentenceTransformerTrainingArguments
from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

rows = [json.loads(l) for l in open(a.pairs) if l.strip()]
data = Dataset.from_dict({"anchor": [r["anchor"] for r in rows], "positive": [r["positive"] for r in rows]})
model = SentenceTransformer(a.model, device="cpu")
args = SentenceTransformerTrainingArguments(
    output_dir=a.out, num_train_epochs=a.epochs, per_device_train_batch_size=a.batch, learning_rate=2e-5,
    warmup_ratio=0.1, seed=42, save_strategy="no", logging_steps=10**6, report_to="none", use_cpu=True,
    disable_tqdm=True)
trainer = SentenceTransformerTrainer(model=model, args=args, train_dataset=data, loss=MultipleNegativesRankingLoss(model))
trainer.train()
model.save(a.out + "/final")
print(json.dumps({"global_step": trainer.state.global_step}))
