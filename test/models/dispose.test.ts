/**
 * dispose(): a model's native memory is freed when the user says so, not when the garbage collector gets
 * round to it; a disposed object throws a clear error when used; the CLI commands dispose the models they load.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadAddon } from '../../lib/binding/addon';
import { encodeCommand } from '../../lib/cli/encodeCommand';
import { evaluateCommand } from '../../lib/cli/evaluateCommand';
import { MultipleNegativesRankingLoss } from '../../lib/losses/MultipleNegativesRankingLoss';
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { Trainer } from '../../lib/training/Trainer';
import { describeIf, missing, tmpDir } from '../helpers/requirements';
import { tinyConfig, tinySetup } from '../helpers/tinyModel';

/** Resident memory outside V8's heap (MiB): native allocations, without the swings a garbage collection of
 *  the JS heap (e.g. ts-jest's compilation garbage) would add to plain RSS. */
const rssMb = (): number => {
  const m = process.memoryUsage();
  return (m.rss - m.heapTotal) / 2 ** 20;
};

describeIf(missing({ addon: true }), 'dispose()', () => {
  let work: string;
  let setup: Awaited<ReturnType<typeof tinySetup>>;
  beforeAll(async () => {
    work = tmpDir('dispose');
    setup = await tinySetup(work);
  });
  afterAll(async () => {
    await setup?.model.dispose();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('frees the weights at once, without garbage collection', async () => {
    // Word embeddings alone: 60,000 x 512 fp32 = 117 MiB.
    const config = { ...tinyConfig(60000), hidden_size: 512, num_attention_heads: 8, intermediate_size: 1024 };
    const before = rssMb();
    const model = await SentenceTransformer.create({
      config, tokenizerDir: setup.tokenizerDir, pooling: 'mean', normalize: true, maxSeqLength: 64, seed: 0, device: 'cpu',
    });
    const loaded = rssMb();
    await model.dispose();
    const after = rssMb();
    process.stderr.write(`dispose: RSS ${before.toFixed(0)} -> ${loaded.toFixed(0)} MB with the model -> ${after.toFixed(0)} MB after dispose()\n`);
    expect(loaded - before).toBeGreaterThan(100);
    expect(loaded - after).toBeGreaterThan(100);
    expect(model.disposed).toBe(true);
  });

  test('a disposed model throws "this model was disposed" wherever it is used; dispose twice is fine', async () => {
    const model = await SentenceTransformer.create({
      config: setup.config, tokenizerDir: setup.tokenizerDir, pooling: 'mean', normalize: true, maxSeqLength: 64, seed: 0, device: 'cpu',
    });
    await model.dispose();
    await model.dispose();
    await expect(model.encode(['a text'])).rejects.toThrow('SentenceTransformer.encode: this model was disposed');
    expect(() => model.tokenize(['a text'])).toThrow('this model was disposed');
    await expect(model.save(path.join(work, 'never'))).rejects.toThrow('this model was disposed');
    expect(fs.existsSync(path.join(work, 'never'))).toBe(false);
    expect(() => model.embeddingDim).toThrow('NativeEncoder.embeddingDim: this model was disposed');
    expect(() => model.native.encode({ inputIds: Int32Array.from([1, 2]), cuSeqlens: Int32Array.from([0, 2]) }))
      .toThrow('NativeEncoder.encode: this model was disposed');
    expect(() => model.native.trainStep({
      texts: { inputIds: Int32Array.from([1, 2]), cuSeqlens: Int32Array.from([0, 2]) }, numColumns: 1, lossDivisor: 1, optimizerStep: false, learningRate: 0, maxGradNorm: 0,
    })).toThrow('NativeEncoder.trainStep: this model was disposed');
    const trainer = new Trainer({
      model, loss: new MultipleNegativesRankingLoss(), trainDataset: setup.dataset,
      args: { output_dir: path.join(work, 'disposed-train'), max_steps: 1, per_device_train_batch_size: 4, save_strategy: 'no' },
    });
    await expect(trainer.train()).rejects.toThrow('this model was disposed');
  });

  test('dispose() during a running call waits for it: the call completes, then the memory goes', async () => {
    const model = await SentenceTransformer.create({
      config: setup.config, tokenizerDir: setup.tokenizerDir, pooling: 'mean', normalize: true, maxSeqLength: 64, seed: 0, device: 'cpu',
    });
    const texts = (setup.dataset.column('anchor') as string[]).slice(0, 32);
    const expected = await model.encode(texts);
    const packed = { inputIds: Int32Array.from(model.tokenize(texts).flatMap((ids) => Array.from(ids))), cuSeqlens: new Int32Array(texts.length + 1) };
    model.tokenize(texts).forEach((ids, i) => { packed.cuSeqlens[i + 1] = packed.cuSeqlens[i] + ids.length; });
    const running = model.native.encode(packed);
    const disposing = model.dispose();
    expect(model.disposed).toBe(true);
    const out = await running;
    await disposing;
    expect(out.length).toBe(expected.length);
  });

  test('TorchGenerator.dispose(): later calls throw', () => {
    const { TorchGenerator } = loadAddon();
    const g = new TorchGenerator(1);
    expect(g.randperm(4).length).toBe(4);
    g.dispose();
    expect(() => g.randperm(4)).toThrow('TorchGenerator.randperm: this generator was disposed');
    expect(() => g.manualSeed(1)).toThrow('TorchGenerator.manualSeed: this generator was disposed');
  });

  test('the encode and evaluate commands dispose the model they load, also when they fail', async () => {
    const folder = path.join(work, 'model');
    await setup.model.save(folder);
    const rows = (setup.dataset.column('anchor') as string[]).map((a, i) => ({ anchor: a, positive: (setup.dataset.column('positive') as string[])[i] }));
    const input = path.join(work, 'texts.txt');
    fs.writeFileSync(input, rows.slice(0, 10).map((r) => r.anchor).join('\n') + '\n');
    const data = path.join(work, 'pairs.jsonl');
    fs.writeFileSync(data, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const disposed: SentenceTransformer[] = [];
    const original = SentenceTransformer.prototype.dispose;
    const spy = jest.spyOn(SentenceTransformer.prototype, 'dispose').mockImplementation(function (this: SentenceTransformer) {
      disposed.push(this);
      return original.call(this);
    });
    try {
      await encodeCommand({ model: folder, input, output: path.join(work, 'out.npy') });
      expect(disposed.length).toBe(1);
      await evaluateCommand({ model: folder, data, json: true });
      expect(disposed.length).toBe(2);
      await expect(evaluateCommand({ model: folder, data: path.join(work, 'missing.jsonl'), json: true })).rejects.toThrow();
      expect(disposed.length).toBe(3);
      expect(disposed.every((m) => m.disposed)).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });
});
