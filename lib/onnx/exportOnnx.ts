/**
 * ONNX export of a model folder's Transformer: `<transformer folder>/onnx/model.onnx`, the layout
 * transformers.js loads (config.json and the tokenizer files beside it). The graph takes the tokenizer's
 * inputs (input_ids, attention_mask, and token_type_ids for BERT), int64 with dynamic batch and sequence axes,
 * and gives the token embeddings as `last_hidden_state` (batch, sequence, hidden) in fp32. Pooling and
 * normalization stay with the consumer, as the folder's 1_Pooling and 2_Normalize say.
 */
import * as fs from 'fs';
import * as path from 'path';
import { startWorker } from '../data/startWorker';
import { architectureOf } from '../models/architectures';
import { readModelFolder } from '../models/ModelFolder';
import { packageVersion } from '../models/packageVersion';
import { writeFileAtomic } from '../training/atomicWrite';
import { bertGraph } from './bertGraph';
import { EncoderWeights } from './EncoderWeights';
import { ElemType, GraphBuilder } from './GraphBuilder';
import { modernBertGraph } from './modernBertGraph';
import { mpnetGraph } from './mpnetGraph';
import { BATCH, SEQUENCE } from './encoderParts';

type GraphOf = (g: GraphBuilder, config: Record<string, unknown>, weights: EncoderWeights, configFile: string) => string;

/** Per model_type: the graph builder and the prefix a checkpoint with a head puts before the encoder's names. */
const GRAPHS: Record<string, { build: GraphOf; prefix: string }> = {
  bert: { build: bertGraph, prefix: 'bert.' },
  roberta: { build: bertGraph, prefix: 'roberta.' },
  'xlm-roberta': { build: bertGraph, prefix: 'roberta.' },
  mpnet: { build: mpnetGraph, prefix: 'mpnet.' },
  modernbert: { build: modernBertGraph, prefix: 'model.' },
};

/** The ONNX model of a model folder's Transformer, serialized. */
export function onnxModelOf(modelDir: string): Uint8Array {
  const info = readModelFolder(modelDir);
  const configFile = path.join(info.transformerDir, 'config.json');
  const architecture = architectureOf(info.config, configFile);
  const graph = GRAPHS[architecture.modelType];
  if (!graph) throw new Error(`${configFile}: model_type "${architecture.modelType}" has no ONNX export`);
  // Configs that name only "architectures" get the model_type the builders key on.
  const config: Record<string, unknown> = { ...info.config, model_type: architecture.modelType };
  const g = new GraphBuilder();
  const hidden = graph.build(g, config, new EncoderWeights(info.weightsPath, graph.prefix), configFile);
  g.output('last_hidden_state', hidden, ElemType.FLOAT, [BATCH, SEQUENCE, typeof config.hidden_size === 'number' ? config.hidden_size : 768]);
  return g.encode(`${architecture.modelType} encoder`, packageVersion());
}

/**
 * Writes `onnx/model.onnx` into the model folder's Transformer folder (the folder itself for a folder saved
 * by sentence-transformers or embedforge), atomically; returns the file's path.
 */
export async function writeOnnxExport(modelDir: string): Promise<string> {
  const info = readModelFolder(modelDir);
  const bytes = await onnxModelInWorker(modelDir);
  const file = path.join(info.transformerDir, 'onnx', 'model.onnx');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, bytes);
  await alignTokenizerMaxLength(info.transformerDir, info.maxSeqLength);
  return file;
}

/** onnxModelOf on a worker thread (onnxExportWorker.ts), so the event loop keeps running meanwhile. */
function onnxModelInWorker(modelDir: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(__dirname, 'onnxExportWorker', { modelDir });
    let result: Uint8Array | null = null;
    worker.once('message', (bytes: Uint8Array) => (result = bytes));
    worker.once('error', reject);
    worker.once('exit', (code) => (result ? resolve(result) : reject(new Error(`ONNX export: the worker thread exited with code ${code} before its result`))));
  });
}

/**
 * transformers.js truncates at tokenizer_config.json's model_max_length; embedforge (and sentence-transformers)
 * at the model's max_seq_length. A folder whose tokenizer file says otherwise (all-MiniLM-L6-v2: 512 against
 * 256) gets max_seq_length there, as sentence-transformers 6 itself stores it, so long texts embed alike.
 */
async function alignTokenizerMaxLength(transformerDir: string, maxSeqLength: number): Promise<void> {
  const file = path.join(transformerDir, 'tokenizer_config.json');
  if (!fs.existsSync(file)) return;
  const config = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  if (config.model_max_length === maxSeqLength) return;
  await writeFileAtomic(file, `${JSON.stringify({ ...config, model_max_length: maxSeqLength }, null, 2)}\n`);
}
