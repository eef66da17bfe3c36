#!/usr/bin/env node
/** The embedforge command: train, evaluate, encode, export, demo. */
import { Command, InvalidArgumentError, Option } from 'commander';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { benchTable, defaultPython, runBenchmark } from '../bench/benchmark';
import { parseBatchList } from '../bench/measure';
import { runDemo } from '../demo/runDemo';
import { pushFolderToHub } from '../hub/pushToHub';
import { localPathOrHubId, resolveModelPath } from '../hub/resolveModelPath';
import { packageVersion } from '../models/packageVersion';
import { doctorReport, formatDoctor } from './doctorCommand';
import { encodeCommand } from './encodeCommand';
import { exportCommand } from './exportCommand';
import { evaluateCommand } from './evaluateCommand';
import { parseOverrides, readTrainConfig, validateTrainConfig } from './trainConfig';
import { runTrainJob } from './trainJob';

const int = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer, got "${v}"`);
  return n;
};
const intList = (v: string): number[] => v.split(',').map((x) => int(x.trim()));
const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function buildProgram(): Command {
  const program = new Command('embedforge')
    .description('Fine-tune sentence-embedding models (sentence-transformers folders) for retrieval, on LibTorch.')
    .version(packageVersion());

  program.command('train')
    .description('fine-tune a model as a config file says; prints retrieval metrics before and after')
    .requiredOption('-c, --config <file>', 'JSON or YAML: model, train_data, eval_data, loss, evaluator, args')
    .option('--model <dir|id>', 'override the config\'s model (a folder, or a hub id)')
    .option('--revision <rev>', 'hub branch, tag or commit of --model (default main)')
    .option('--train-data <file>', 'override the config\'s training data')
    .option('--eval-data <file>', 'override the config\'s evaluation data')
    .option('--output-dir <dir>', 'override args.output_dir')
    .option('--device <device>', 'cpu, cuda or auto')
    .option('--resume [checkpoint]', 'resume from a checkpoint folder, or the latest in output_dir')
    .option('--set <key=value>', 'override a training argument, e.g. --set num_train_epochs=2 (repeatable)', collect, [])
    .option('--json', 'JSON lines on stdout instead of a progress bar')
    .action(async (o) => {
      const { config, baseDir } = readTrainConfig(o.config);
      const merged = { ...config, args: { ...(config.args ?? {}), ...parseOverrides(o.set) } };
      if (o.model) merged.model = localPathOrHubId(o.model);
      if (o.revision) merged.model = { ...(typeof merged.model === 'string' ? { path: merged.model } : merged.model), revision: o.revision };
      if (o.trainData) merged.train_data = typeof merged.train_data === 'string' ? path.resolve(o.trainData) : { ...merged.train_data, path: path.resolve(o.trainData) };
      if (o.evalData) merged.eval_data = path.resolve(o.evalData);
      if (o.outputDir) merged.args.output_dir = path.resolve(o.outputDir);
      if (o.device) merged.model = { ...(typeof merged.model === 'string' ? { path: merged.model } : merged.model), device: o.device };
      await runTrainJob(validateTrainConfig(merged, o.config), baseDir, { json: o.json, resumeFromCheckpoint: o.resume });
    });

  program.command('evaluate')
    .description('a sentence-transformers evaluator\'s metrics of a model on a data file (retrieval by default: NDCG@10, MRR@10, MAP@100, ...)')
    .requiredOption('--model <dir|id>', 'a sentence-transformers model folder, or a hub id (owner/name) downloaded into the Hugging Face cache')
    .option('--revision <rev>', 'hub branch, tag or commit of --model (default main)')
    .requiredOption('--data <file>', 'ir: {queries, corpus, relevant_docs} JSON or anchor/positive rows; triplet: anchor/positive/negative; '
      + 'similarity: sentence1/sentence2/score; binary: sentence1/sentence2/label; reranking: query/positive/negative lists; '
      + 'paraphrase: sentence1/sentence2[/label] or {sentences_map, duplicates_list} (rows: JSON, JSONL, CSV, Parquet; columns by name, else by position)')
    .addOption(new Option('--evaluator <type>', 'which evaluator').choices(['ir', 'triplet', 'similarity', 'binary', 'reranking', 'paraphrase']).default('ir'))
    .option('--matryoshka-dims <dims>', 'comma-separated dims, e.g. 768,512,256', intList)
    .option('--score-functions <fns>', 'comma-separated: cosine, dot (ir); also euclidean, manhattan (triplet, similarity, binary; one for reranking)', (v: string) => v.split(','))
    .option('--batch-size <n>', 'encode batch size', int)
    .option('--device <device>', 'cpu, cuda or auto')
    .option('--json', 'print one JSON object keyed by sentence-transformers\' metric names')
    .action(async (o) => {
      await evaluateCommand({ model: o.model, revision: o.revision, data: o.data, evaluator: o.evaluator, matryoshkaDims: o.matryoshkaDims, scoreFunctions: o.scoreFunctions, batchSize: o.batchSize, device: o.device, json: o.json });
    });

  program.command('encode')
    .description('embed texts (one per line, or a JSON lines column) into .npy or .jsonl')
    .requiredOption('--model <dir|id>', 'a sentence-transformers model folder, or a hub id (owner/name) downloaded into the Hugging Face cache')
    .option('--revision <rev>', 'hub branch, tag or commit of --model (default main)')
    .requiredOption('--input <file>', 'text lines, or JSON lines')
    .requiredOption('--output <file>', 'FILE.npy (float32 matrix) or FILE.jsonl')
    .option('--column <name>', 'the JSON lines field holding the text')
    .option('--batch-size <n>', 'encode batch size', int, 32)
    .option('--normalize', 'unit-length embeddings')
    .option('--truncate-dim <n>', 'keep the first n dims (Matryoshka)', int)
    .option('--device <device>', 'cpu, cuda or auto')
    .action(async (o) => {
      const r = await encodeCommand({ model: o.model, revision: o.revision, input: o.input, output: o.output, column: o.column, batchSize: o.batchSize, normalize: o.normalize, truncateDim: o.truncateDim, device: o.device });
      process.stderr.write(`wrote ${r.rows} embeddings of dim ${r.dim} to ${o.output}\n`);
    });

  program.command('export')
    .description('write the model for serving elsewhere: --onnx gives OUT/onnx/model.onnx beside the model folder\'s files, as transformers.js and onnxruntime-node load it')
    .requiredOption('--model <dir|id>', 'a sentence-transformers model folder, or a hub id (owner/name) downloaded into the Hugging Face cache')
    .option('--revision <rev>', 'hub branch, tag or commit of --model (default main)')
    .requiredOption('--output <dir>', 'the folder to write (replaced whole if it holds an earlier export; the model folder itself: only onnx/model.onnx is added)')
    .option('--onnx', 'ONNX: token embeddings as last_hidden_state, fp32, opset 17')
    .action(async (o) => {
      const r = await exportCommand({ model: o.model, revision: o.revision, output: o.output, onnx: o.onnx });
      process.stderr.write(`wrote ${r.onnxFile} (${(r.bytes / 2 ** 20).toFixed(1)} MiB)\n`);
    });

  program.command('push')
    .description('upload a saved model folder (with its model card) to a Hugging Face hub repository, created if missing')
    .requiredOption('--model <dir>', 'the sentence-transformers folder to upload')
    .requiredOption('--repo <id>', 'owner/name (a bare name goes under the token\'s user)')
    .option('--private', 'create the repository private')
    .option('--exist-ok', 'push a new commit into a repository that exists already')
    .option('--replace-model-card', 'upload README.md even when the repository has one')
    .option('--commit-message <text>', 'the commit\'s title', 'Add new SentenceTransformer model')
    .option('--token <token>', 'access token with write permission (default: HF_TOKEN, else $HF_HOME/token)')
    .action(async (o) => {
      if (!fs.existsSync(path.join(o.model, 'modules.json')) && !fs.existsSync(path.join(o.model, 'config.json'))) {
        throw new Error(`--model ${o.model}: not a model folder (no modules.json or config.json)`);
      }
      const r = await pushFolderToHub(o.model, o.repo, { token: o.token, private: o.private, existOk: o.existOk, replaceModelCard: o.replaceModelCard,
        defaultCommitMessage: o.commitMessage });
      process.stdout.write(`${r.commitUrl}\n`);
    });

  program.command('demo')
    .description('the built-in job, no download: fine-tune the real all-MiniLM-L6-v2 that set-up installs on a task it is weak at (else a small random model) and show the metrics before and after')
    .option('--out <dir>', 'work folder for the model, data and checkpoints', 'embedforge-demo')
    .option('--model <dir>', 'a sentence-transformers folder to fine-tune (default: the all-MiniLM-L6-v2 installed by npm run setup)')
    .option('--epochs <n>', 'training epochs (default: 2 on the real model, 4 on the random one)', int)
    .option('--max-steps <n>', 'stop after n optimizer steps (a quick look)', int)
    .option('--seed <n>', 'seed of the generated data and of training', int, 42)
    .option('--device <device>', 'cpu, cuda or auto')
    .option('--json', 'JSON lines on stdout instead of a progress bar')
    .action(async (o) => {
      const r = await runDemo({ workDir: o.out, model: o.model, epochs: o.epochs, maxSteps: o.maxSteps, seed: o.seed, device: o.device, json: o.json });
      process.stderr.write(`demo finished in ${r.seconds.toFixed(1)}s: ${r.globalStep} steps; fine-tuned model in ${r.outputDir}\n`);
    });
  program.command('bench')
    .description('training and encoding throughput beside sentence-transformers on the same model and pairs, in one run')
    .requiredOption('--model <dir|id>', 'a sentence-transformers model folder, or a hub id (owner/name) downloaded into the Hugging Face cache')
    .option('--revision <rev>', 'hub branch, tag or commit of --model (default main)')
    .requiredOption('--pairs <file>', 'anchor/positive rows')
    .option('--batch <sizes>', 'training batch sizes, comma separated (a table row each)', '32')
    .option('--steps <n>', 'training steps', int, 30)
    .option('--warmup <n>', 'steps left out of the steady-state rate', int, 5)
    .option('--encode-texts <n>', 'passages encoded for the encode rate', int, 1024)
    .option('--encode-batch <n>', 'encode batch size on both sides (both libraries default to 32)', int, 32)
    .option('--device <device>', 'cpu, cuda or auto')
    .option('--bf16', 'bf16 autocast and tf32 (CUDA)')
    .option('--threads <n>', 'CPU threads of both sides (default: each side\'s own, the number of cores)', int)
    .option('--no-reference', 'measure embedforge alone')
    .option('--json', 'print the result as JSON')
    .action(async (o) => {
      const r = await runBenchmark({ model: (await resolveModelPath(o.model, { revision: o.revision })).dir, pairs: o.pairs, batches: parseBatchList(o.batch), steps: o.steps, warmup: o.warmup,
        encodeTexts: o.encodeTexts, encodeBatch: o.encodeBatch, device: o.device, bf16: o.bf16, threads: o.threads, python: o.reference ? defaultPython() : null,
        workDir: fs.mkdtempSync(path.join(os.tmpdir(), 'embedforge-bench-')) }, (line) => process.stderr.write(`${line}\n`));
      process.stdout.write((o.json ? JSON.stringify(r) : benchTable(r)) + '\n');
    });
  program.command('doctor')
    .description('what embedforge finds here: Node, the PyTorch (where, version, CUDA), the GPU, the native binary chosen and why, the Hugging Face cache')
    .option('--json', 'the report as JSON')
    .action((o) => {
      const r = doctorReport();
      process.stdout.write(`${o.json ? JSON.stringify(r, null, 2) : formatDoctor(r)}\n`);
      if (!r.addon.choice) process.exitCode = 1;
    });

  return program;
}

if (require.main === module) {
  buildProgram().parseAsync(process.argv).catch((e: Error) => {
    process.stderr.write(`embedforge: ${e.message}\n`);
    process.exit(1);
  });
}
