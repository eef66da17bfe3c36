/**
 * The legacy `model.fit` (tutorial 004's call) against sentence-transformers' own `model.fit`, which runs
 * SentenceTransformerTrainer underneath: the same tiny model (dropout 0, fp32, CPU), the same InputExamples
 * and losses, each side drawing its own batches. One objective as 004 has it (OnlineContrastiveLoss over
 * (query, chunk, 1/0), warmup 10 %, an InformationRetrievalEvaluator every few steps and at each epoch's end,
 * the best model saved to output_path), and two objectives taking turns (ROUND_ROBIN, fit's t_total).
 * Checked: every step's loss within 1e-3, the evaluator callbacks (score, epoch, step) alike, the trained
 * embeddings within row cosine 0.9999, and the saved folder loading with the same embeddings.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DataLoader } from '../../lib/data/DataLoader';
import { InputExample } from '../../lib/data/InputExample';
import { InformationRetrievalEvaluator } from '../../lib/evaluation/InformationRetrievalEvaluator';
import { MultipleNegativesRankingLoss } from '../../lib/losses/MultipleNegativesRankingLoss';
import { OnlineContrastiveLoss } from '../../lib/losses/OnlineContrastiveLoss';
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { rowCosines } from '../helpers/npy';
import { describeIf, missing, runPython, sharedData, tmpDir } from '../helpers/requirements';
import { tinyStModel } from '../helpers/stModel';

interface StFit { micro_losses: number[]; callback: [number, number, number][]; embeddings: number[][] }

const financial = () => JSON.parse(fs.readFileSync(path.join(sharedData, 'llamaindex-10k-uber-lyft', 'train_dataset.json'), 'utf8')) as {
  queries: Record<string, string>; corpus: Record<string, string>; relevant_docs: Record<string, string[]>;
};

describeIf(missing({ addon: true, python: true, sharedData: true }), 'model.fit: parity with sentence-transformers\' fit', () => {
  const data = financial();
  const qids = Object.keys(data.queries);
  const cids = Object.keys(data.corpus);
  // Tutorial 004's examples: each query with its good chunk (1) and another chunk (0).
  const contrastive = qids.slice(0, 40).flatMap((q, i) => [
    { texts: [data.queries[q], data.corpus[data.relevant_docs[q][0]]], label: 1 },
    { texts: [data.queries[q], data.corpus[cids[(i * 7 + 3) % cids.length]]], label: 0 },
  ]);
  const pairs = qids.slice(40, 70).map((q) => ({ texts: [data.queries[q], data.corpus[data.relevant_docs[q][0]]], label: 0 }));
  const evalQ = qids.slice(100, 120);
  const evaluatorData = {
    queries: Object.fromEntries(evalQ.map((q) => [q, data.queries[q]])),
    corpus: Object.fromEntries(evalQ.map((q) => [data.relevant_docs[q][0], data.corpus[data.relevant_docs[q][0]]])),
    relevant_docs: Object.fromEntries(evalQ.map((q) => [q, data.relevant_docs[q]])),
  };
  const probes = qids.slice(200, 216).map((q) => data.queries[q]);

  async function both(name: string, objectives: { examples: typeof contrastive; loss: 'online' | 'mnrl' }[], fitArgs: Record<string, unknown>, withEvaluator: boolean) {
    const work = tmpDir(`fit-${name}`);
    const modelDir = tinyStModel();
    const spec = {
      model: modelDir, workdir: work, encode: probes, evaluator: withEvaluator ? evaluatorData : null,
      fit: { ...fitArgs, output_path: path.join(work, 'st-out'), show_progress_bar: false },
      objectives: objectives.map((o) => ({
        examples: o.examples, batch_size: 10, loss: { class: o.loss === 'online' ? 'OnlineContrastiveLoss' : 'MultipleNegativesRankingLoss' },
      })),
    };
    fs.writeFileSync(path.join(work, 'spec.json'), JSON.stringify(spec));
    runPython('st_fit_reference.py', ['--spec', path.join(work, 'spec.json'), '--out', path.join(work, 'st.json')]);
    const st = JSON.parse(fs.readFileSync(path.join(work, 'st.json'), 'utf8')) as StFit;

    const model = await SentenceTransformer.load(modelDir, { device: 'cpu' });
    const steps: number[] = [];
    const calls: [number, number, number][] = [];
    const cwd = process.cwd();
    process.chdir(work); // fit's default checkpoint folder is relative, as there
    try {
      await model.fit({
        trainObjectives: objectives.map((o) => [
          new DataLoader(o.examples.map((e) => new InputExample(e)), { batchSize: 10 }),
          o.loss === 'online' ? new OnlineContrastiveLoss() : new MultipleNegativesRankingLoss(),
        ]),
        evaluator: withEvaluator ? new InformationRetrievalEvaluator({
          queries: evaluatorData.queries, corpus: evaluatorData.corpus, relevantDocs: evaluatorData.relevant_docs, writeCsv: false,
        }) : undefined,
        epochs: fitArgs.epochs as number, warmupSteps: fitArgs.warmup_steps as number, evaluationSteps: (fitArgs.evaluation_steps as number) ?? 0,
        optimizerParams: fitArgs.optimizer_params as { lr: number } | undefined,
        outputPath: path.join(work, 'ours-out'), showProgressBar: false,
        callback: (score, epoch, stepsDone) => calls.push([score, epoch, stepsDone]),
        onStep: (s) => steps.push(s.loss),
      });
    } finally {
      process.chdir(cwd);
    }
    const worstLoss = Math.max(...steps.map((l, i) => Math.abs(l - st.micro_losses[i])));
    const ours = await model.encode(probes);
    const dim = ours.length / probes.length;
    const cos = Math.min(...rowCosines(ours, Float32Array.from(st.embeddings.flat()), probes.length, dim));
    const saved = await SentenceTransformer.load(path.join(work, 'ours-out'), { device: 'cpu' });
    console.log(`fit ${name}: ${steps.length} steps (sentence-transformers ${st.micro_losses.length}), max |loss diff| ${worstLoss.toExponential(2)}, ` +
      `min embedding cosine ${cos.toFixed(8)}; evaluator callbacks ours ${JSON.stringify(calls.map((c) => c.map((x) => +x.toFixed(4))))} ` +
      `theirs ${JSON.stringify(st.callback.map((c) => c.map((x) => +x.toFixed(4))))}`);
    expect(steps.length).toBe(st.micro_losses.length);
    expect(worstLoss).toBeLessThanOrEqual(1e-3);
    expect(cos).toBeGreaterThanOrEqual(0.9999);
    expect(calls.length).toBe(st.callback.length);
    calls.forEach((c, i) => {
      expect(Math.abs(c[0] - st.callback[i][0])).toBeLessThanOrEqual(1e-4);
      expect(c[1]).toBeCloseTo(st.callback[i][1], 6);
      expect(c[2]).toBe(st.callback[i][2]);
    });
    return { saved, model };
  }

  test('tutorial 004: OnlineContrastiveLoss, warmup, evaluation every 5 steps and per epoch, best model saved', async () => {
    const { saved, model } = await both('online-contrastive', [{ examples: contrastive, loss: 'online' }],
      { epochs: 2, warmup_steps: Math.floor(8 * 2 * 0.1), evaluation_steps: 5, optimizer_params: { lr: 1e-3 } }, true);
    // The saved folder is the best evaluated model, a loadable sentence-transformers folder.
    expect((await saved.encode(probes.slice(0, 2))).length).toBe(2 * model.embeddingDim);
  });

  test('two objectives take turns (ROUND_ROBIN), the schedule spans fit\'s steps_per_epoch * epochs', async () => {
    await both('round-robin', [{ examples: contrastive, loss: 'online' }, { examples: pairs, loss: 'mnrl' }],
      { epochs: 2, warmup_steps: 1 }, false);
  });
});
