/**
 * ONNX export of every architecture the engine has: a tiny random model (made by sentence-transformers, real
 * tokenizer) saved with {onnx: true}, run through onnxruntime-node on texts of different lengths (padding
 * masks, MPNet's bucket edges at distances 16 and 32, ModernBERT's local window of 16 exceeded), pooled and
 * normalized as the folder says: the same vectors as embedforge's encode, cosine >= 0.99999 (fp32).
 */
import * as fs from 'fs';
import * as path from 'path';
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { describeIf, missing, tmpDir } from '../helpers/requirements';
import { tinyStModel, type Arch } from '../helpers/stModel';
import { sampleTexts } from '../helpers/texts';
import { cosine, ortEmbedInChild } from './ortEmbed';
import { withClsPooling } from './transformersJsRunner';

const ARCHS: Arch[] = ['bert', 'roberta', 'xlm-roberta', 'mpnet', 'modernbert'];
const MIN_COSINE = 0.99999;
/** Weights drawn wider than transformers' 0.02, so that attention is far from uniform and every mask and position matters. */
const INIT_RANGE = 0.2;

describeIf(missing({ addon: true, python: true, sharedData: true }), 'ONNX export', () => {
  const work = tmpDir('onnx-export');
  const texts = sampleTexts(8);
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  async function exportAndCompare(source: string, name: string, pooling: 'mean' | 'cls'): Promise<{ worst: number; inputNames: readonly string[]; lengths: number[] }> {
    const model = await SentenceTransformer.load(source, { device: 'cpu' });
    try {
      expect(model.pooling).toBe(pooling);
      const out = path.join(work, name);
      await model.save(out, { onnx: true });
      const ids = model.tokenize(texts);
      const { rows, inputNames } = ortEmbedInChild(path.join(work, `${name}-request.json`),
        { onnxFile: path.join(out, 'onnx', 'model.onnx'), ids: ids.map((r) => Array.from(r)), pooling, normalize: model.normalize });
      const ours = await model.encode(texts);
      const dim = model.embeddingDim;
      const cosines = rows.map((r, i) => cosine(r, ours.subarray(i * dim, (i + 1) * dim)));
      const worst = Math.min(...cosines);
      // How far apart the texts themselves are: a tolerance means something only if it is far tighter than this.
      let closestPair = -1;
      for (let i = 0; i < texts.length; i++) for (let j = 0; j < i; j++) closestPair = Math.max(closestPair, cosine(ours.subarray(i * dim, (i + 1) * dim), ours.subarray(j * dim, (j + 1) * dim)));
      process.stderr.write(`ONNX export ${name}: worst cosine to encode() 1 - ${(1 - worst).toExponential(2)} over ${texts.length} texts (closest two texts: ${closestPair.toFixed(4)})\n`);
      return { worst, inputNames, lengths: ids.map((r) => r.length) };
    } finally {
      await model.dispose();
    }
  }

  test.each(ARCHS)('%s: onnxruntime-node embeddings equal encode()', async (arch) => {
    const { worst, inputNames, lengths } = await exportAndCompare(tinyStModel(arch, { initRange: INIT_RANGE }), arch, 'mean');
    // Texts of several lengths, one past MPNet's exact buckets (16, 32) and ModernBERT's window (16).
    expect(new Set(lengths).size).toBeGreaterThanOrEqual(4);
    expect(Math.max(...lengths)).toBeGreaterThan(33);
    expect([...inputNames].sort()).toEqual(arch === 'bert' ? ['attention_mask', 'input_ids', 'token_type_ids'] : ['attention_mask', 'input_ids']);
    expect(worst).toBeGreaterThanOrEqual(MIN_COSINE);
  });

  test('CLS pooling: the first token of last_hidden_state', async () => {
    const { worst } = await exportAndCompare(withClsPooling(tinyStModel('modernbert', { initRange: INIT_RANGE }), path.join(work, 'modernbert-cls-source')), 'modernbert-cls', 'cls');
    expect(worst).toBeGreaterThanOrEqual(MIN_COSINE);
  });
});
