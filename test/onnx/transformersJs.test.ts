/**
 * The exported folder served by transformers.js: its feature-extraction pipeline loads the folder offline
 * (no hub), tokenizes, runs onnx/model.onnx, pools as the folder says and normalizes, and gives the same
 * vectors as embedforge's encode (cosine >= 0.99999) on texts of 3 to ~60 tokens, mean and CLS pooling.
 * Texts past max_seq_length are left out: transformers.js 4.3 truncates by cutting the tokenized text,
 * final [SEP] included, where sentence-transformers and embedforge keep the special tokens (README).
 */
import * as fs from 'fs';
import * as path from 'path';
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { describeIf, missing, tmpDir } from '../helpers/requirements';
import { tinyStModel, type Arch } from '../helpers/stModel';
import { sampleTexts } from '../helpers/texts';
import { cosine } from './ortEmbed';
import { transformersJsEmbed, transformersJsMissing, withClsPooling, withinLimit } from './transformersJsRunner';

const ARCHS: Arch[] = ['bert', 'roberta', 'xlm-roberta', 'mpnet', 'modernbert'];

describeIf(missing({ addon: true, python: true, sharedData: true }) ?? transformersJsMissing(), 'ONNX export served by transformers.js', () => {
  const work = tmpDir('onnx-transformersjs');
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test.each([...ARCHS, 'modernbert-cls'])('%s: feature-extraction pipeline, offline, equals encode()', async (arch) => {
    const source = arch === 'modernbert-cls'
      ? withClsPooling(tinyStModel('modernbert', { initRange: 0.2 }), path.join(work, 'modernbert-cls-source'))
      : tinyStModel(arch as Arch, { initRange: 0.2 });
    const model = await SentenceTransformer.load(source, { device: 'cpu' });
    expect(model.pooling).toBe(arch.endsWith('-cls') ? 'cls' : 'mean');
    try {
      await model.save(path.join(work, arch), { onnx: true });
      const texts = withinLimit(model, sampleTexts(8));
      const lengths = model.tokenize(texts).map((r) => r.length);
      expect(new Set(lengths).size).toBe(texts.length);
      expect(Math.max(...lengths)).toBeGreaterThan(40);
      const rows = transformersJsEmbed(path.join(work, arch), texts, model.pooling, model.normalize);
      const ours = await model.encode(texts);
      const dim = model.embeddingDim;
      expect(rows).toHaveLength(texts.length);
      const worst = Math.min(...rows.map((r, i) => cosine(r, ours.subarray(i * dim, (i + 1) * dim))));
      process.stderr.write(`transformers.js ${arch}: worst cosine to encode() 1 - ${(1 - worst).toExponential(2)} over ${texts.length} texts\n`);
      expect(worst).toBeGreaterThanOrEqual(0.99999);
    } finally {
      await model.dispose();
    }
  });
});
