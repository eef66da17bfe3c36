/**
 * Interop with sentence-transformers 6 on the same weights: a folder saved by sentence-transformers
 * loads here with the same embeddings, and a folder saved here loads there with the same embeddings.
 * Tolerance: cosine >= 0.99999 for every row (fp32, CPU).
 */
import * as fs from 'fs';
import * as path from 'path';
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { readNpy, rowCosines } from '../helpers/npy';
import { cacheDir, describeIf, missing, runPython, sharedData, tmpDir } from '../helpers/requirements';
import { sampleTexts } from '../helpers/texts';

const SHAPES = [
  { name: 'bge-shaped, CLS pooling + Normalize', tokenizer: 'bge-base-en-v1.5', pooling: 'cls', normalize: true },
  { name: 'MiniLM-shaped, mean pooling + Normalize', tokenizer: 'all-MiniLM-L6-v2', pooling: 'mean', normalize: true },
  { name: 'max pooling, no Normalize', tokenizer: 'all-MiniLM-L6-v2', pooling: 'max', normalize: false },
] as const;

describeIf(missing({ addon: true, python: true, sharedData: true }), 'interop with sentence-transformers', () => {
  const work = tmpDir('interop');
  const texts = sampleTexts(40);
  const textsFile = path.join(work, 'texts.json');
  const stDir = (i: number): string => path.join(work, `st-${i}`);
  const ourDir = (i: number): string => path.join(work, `ours-${i}`);

  beforeAll(() => {
    fs.mkdirSync(cacheDir, { recursive: true });
    fs.writeFileSync(textsFile, JSON.stringify(texts));
    SHAPES.forEach((s, i) => {
      runPython('st_models.py', ['make', '--out', stDir(i), '--tokenizer', path.join(sharedData, 'models', s.tokenizer),
        '--pooling', s.pooling, ...(s.normalize ? ['--normalize'] : []), '--seed', String(i)]);
    });
  });

  test('folders saved by sentence-transformers load here, and folders saved here load there, with the same embeddings', async () => {
    const ours: Float32Array[] = [];
    for (let i = 0; i < SHAPES.length; i++) {
      const model = await SentenceTransformer.load(stDir(i), { device: 'cpu' });
      expect(model.pooling).toBe(SHAPES[i].pooling);
      expect(model.normalize).toBe(SHAPES[i].normalize);
      ours.push(await model.encode(texts, { batchSize: 7 }));
      await model.save(ourDir(i));
    }
    const args = ['encode', '--texts', textsFile];
    SHAPES.forEach((_, i) => args.push('--model', stDir(i), '--out', path.join(work, `st-${i}.npy`), '--model', ourDir(i), '--out', path.join(work, `ours-${i}.npy`)));
    runPython('st_models.py', args);
    for (let i = 0; i < SHAPES.length; i++) {
      for (const which of ['st', 'ours']) {
        const ref = readNpy(path.join(work, `${which}-${i}.npy`));
        expect(ref.rows).toBe(texts.length);
        const cos = rowCosines(ours[i], ref.data, ref.rows, ref.cols);
        const worst = Math.min(...cos);
        console.log(`${SHAPES[i].name}, folder saved by ${which === 'st' ? 'sentence-transformers' : 'embedforge'}: min row cosine ${worst.toFixed(8)}`);
        expect(worst).toBeGreaterThanOrEqual(0.99999);
      }
    }
  });

  test('a saved folder has the sentence-transformers layout and a model card', () => {
    const dir = ourDir(0);
    for (const f of ['modules.json', 'config.json', 'model.safetensors', 'tokenizer.json', 'sentence_bert_config.json',
      '1_Pooling/config.json', '2_Normalize', 'config_sentence_transformers.json', 'README.md']) {
      expect(fs.existsSync(path.join(dir, f))).toBe(true);
    }
    expect(fs.readFileSync(path.join(dir, 'README.md'), 'utf8')).toContain('library_name: sentence-transformers');
  });
});
