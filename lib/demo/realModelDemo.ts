/**
 * The built-in demo on a real pre-trained model (all-MiniLM-L6-v2, installed by `npm run setup`): it
 * writes the jargon-catalog task (jargonCatalogData.ts) to the work folder, measures the model on the
 * held-out queries, fine-tunes it with MultipleNegativesRankingLoss, measures again and saves it as a
 * sentence-transformers folder. Sized for a few minutes on two CPU cores.
 */
import * as fs from 'fs';
import * as path from 'path';
import { validateTrainConfig } from '../cli/trainConfig';
import { runTrainJob, type TrainJobResult } from '../cli/trainJob';
import { jargonCatalogTask } from './jargonCatalogData';
import type { DemoOptions } from './runDemo';

/** The evaluator's name: its metrics read held_out_cosine_ndcg@10, ... */
export const HELD_OUT = 'held_out';

export async function runRealModelDemo(modelDir: string, o: DemoOptions): Promise<TrainJobResult> {
  const say = o.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const workDir = path.resolve(o.workDir);
  const seed = o.seed ?? 42;
  const task = jargonCatalogTask({ seed, numItems: o.numItems, numTest: o.numTest });
  const dataDir = path.join(workDir, 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  const trainFile = path.join(dataDir, 'train.jsonl');
  const testFile = path.join(dataDir, 'test.json');
  const queriesFile = path.join(dataDir, 'test-queries.txt');
  fs.writeFileSync(trainFile, task.train.map((p) => JSON.stringify(p)).join('\n') + '\n');
  fs.writeFileSync(testFile, JSON.stringify(task.test, null, 1) + '\n');
  fs.writeFileSync(queriesFile, Object.values(task.test.queries).join('\n') + '\n');
  fs.writeFileSync(path.join(dataDir, 'glossary.json'), JSON.stringify(task.glossary, null, 2) + '\n');

  const numCorpus = Object.keys(task.test.corpus).length;
  const g = task.glossary;
  const example = task.train[0];
  say(`demo: fine-tuning the real all-MiniLM-L6-v2 (${modelDir})`);
  say(`  on a task it cannot know: a made-up outdoor-gear shop whose staff search the catalog in their own slang,`);
  say(`  ${Object.keys(g).length} made-up words (red = "${g.red}", leather = "${g.leather}", tent = "${g.tent}", hiking = "${g.hiking}"; all in ${path.join(dataDir, 'glossary.json')}).`);
  say(`  e.g. "${example.anchor}" -> "${example.positive}"`);
  say(`  ${task.train.length} training pairs (${trainFile}); ${Object.keys(task.test.queries).length} held-out queries, for items never queried in training,`);
  say(`  searched against all ${numCorpus} catalog entries (${testFile}).`);

  const trainConfig = validateTrainConfig({
    model: modelDir,
    train_data: { path: trainFile, columns: ['anchor', 'positive'] },
    eval_data: testFile,
    evaluator: { type: 'ir', name: HELD_OUT },
    loss: { name: 'MultipleNegativesRankingLoss' },
    args: {
      output_dir: path.join(workDir, 'output'), num_train_epochs: o.epochs ?? 2, max_steps: o.maxSteps ?? -1,
      // A higher learning rate than the tutorials' 2e-5: the demo has a couple of minutes, not hours, to learn 36 new words.
      per_device_train_batch_size: 32, learning_rate: 1e-4, warmup_ratio: 0.1, batch_sampler: 'no_duplicates',
      eval_strategy: 'no', save_strategy: 'no', logging_steps: 5, seed, ...(o.device ? { device: o.device } : {}),
    },
  }, 'built-in demo');
  const result = await runTrainJob(trainConfig, workDir, { json: o.json, log: o.log });
  const cli = path.relative(process.cwd(), path.resolve(__dirname, '..', 'cli', 'main.js')) || 'dist/cli/main.js';
  say(`the fine-tuned model (a sentence-transformers folder) is in ${result.outputDir}; use it:`);
  say(`  node ${cli} encode --model ${result.outputDir} --input ${queriesFile} --output queries.npy`);
  say(`  python -c "from sentence_transformers import SentenceTransformer as S; print(S('${result.outputDir}').encode(['${example.anchor.replace(/'/g, '')}']).shape)"`);
  return result;
}
