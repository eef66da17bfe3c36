#!/usr/bin/env bash
# The whole `embedforge train` command beside sentence-transformers' trainer on the same job: the first N real
# legal (anchor, positive) rows, all-MiniLM-L6-v2 (or --model), MultipleNegativesRankingLoss, batch 32, 1 epoch,
# lr 2e-5, warmup 0.1, no checkpoints, the final model saved. Each side runs under /usr/bin/time -v, one after
# the other; the table gives wall, user and system time and peak resident memory, and embedforge's wall
# time over sentence-transformers'.
#
#   bash scripts/bench-train-command.sh [--rows 2000] [--batch 32] [--epochs 1] [--model DIR] [--work DIR]
# Needs `npm run build` and the reference virtualenv (bash scripts/setup-python.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rows=2000 batch=32 epochs=1 model="" work=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) rows="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --epochs) epochs="$2"; shift 2 ;;
    --model) model="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    *) echo "bench-train-command.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
python="${EMBEDFORGE_PYTHON:-$(bash "$root/scripts/setup-python.sh" --print-path)/bin/python}"
[ -x "$python" ] || { echo "bench-train-command.sh: no reference python at $python (bash scripts/setup-python.sh)" >&2; exit 1; }
# GNU time (Debian package "time"; the shell's own `time` reports no peak memory).
[ -x /usr/bin/time ] || { echo "bench-train-command.sh: /usr/bin/time is missing: install the \"time\" package (apt-get install time)" >&2; exit 1; }
[ -n "$model" ] || model="$("$python" "$root/scripts/reference/st_models.py" path-of-real-model | tail -1)"
[ -n "$work" ] || work="$(mktemp -d /tmp/embedforge-train-command-XXXXXX)"
mkdir -p "$work"
pairs="$work/pairs.jsonl"
head -n "$rows" "$root/../shared/data/legal-anchor-positive/train_dataset.json" > "$pairs"
cat > "$work/config.yaml" <<YAML
model: $model
train_data: {path: $pairs, columns: [anchor, positive]}
loss: MultipleNegativesRankingLoss
args: {output_dir: $work/embedforge-out, num_train_epochs: $epochs, per_device_train_batch_size: $batch, learning_rate: 2.0e-5,
       warmup_ratio: 0.1, seed: 42, save_strategy: "no", logging_steps: 1000000}
YAML
echo "load: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs; $rows rows, batch $batch, $epochs epoch(s); work folder $work" >&2
/usr/bin/time -v -o "$work/embedforge.time" node "$root/dist/cli/main.js" train --config "$work/config.yaml" --json > "$work/embedforge.log" 2>&1
HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false /usr/bin/time -v -o "$work/st.time" "$python" "$root/scripts/reference/st_train_command.py" \
  --model "$model" --pairs "$pairs" --batch "$batch" --epochs "$epochs" --out "$work/st-out" > "$work/st.log" 2>&1
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
node - "$work/embedforge.time" "$work/st.time" <<'JS'
const fs = require('fs');
const read = (file) => {
  const t = fs.readFileSync(file, 'utf8');
  const num = (label) => Number(new RegExp(`${label}: ([\\d.:]+)`).exec(t)[1].split(':').reduce((s, x) => s * 60 + Number(x), 0));
  return { wall: num('Elapsed \\(wall clock\\) time \\(h:mm:ss or m:ss\\)'), user: num('User time \\(seconds\\)'),
    sys: num('System time \\(seconds\\)'), rss: num('Maximum resident set size \\(kbytes\\)') / 2 ** 20 };
};
const [ef, st] = [read(process.argv[2]), read(process.argv[3])];
const row = (name, r) => `${name.padEnd(22)}${r.wall.toFixed(1).padStart(8)}${r.user.toFixed(1).padStart(8)}${r.sys.toFixed(1).padStart(8)}${r.rss.toFixed(2).padStart(10)}`;
console.log(`${'side'.padEnd(22)}${'wall s'.padStart(8)}${'user s'.padStart(8)}${'sys s'.padStart(8)}${'peak GiB'.padStart(10)}`);
console.log(row('embedforge train', ef));
console.log(row('sentence-transformers', st));
console.log(`wall ratio (embedforge / sentence-transformers): ${(ef.wall / st.wall).toFixed(2)}x; peak memory ratio ${(ef.rss / st.rss).toFixed(2)}x`);
JS
