/**
 * Fuzzes the safetensors reader through the addon's loadWeights: mutated copies of a valid file (header
 * bytes, length prefix, offsets, dtypes, shapes, JSON structure, truncation, data bytes). The loop runs in
 * a child process (safetensorsFuzzChild.ts) under a time limit, so a crash, a signal or a hang fails this
 * test; every refusal must be an Error whose one-line message names the file. 10,000 inputs with
 * EMBEDFORGE_FULL_TESTS=1, 400 otherwise.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { describeIf, missing, repoRoot, tmpDir, venvPython } from '../helpers/requirements';

/** Lets the child run TypeScript: each .ts file is transpiled on require (no type check; jest's run type-checks). */
const requireHook = `const fs = require('fs');
const ts = require(${JSON.stringify(path.join(repoRoot, 'node_modules', 'typescript'))});
require.extensions['.ts'] = (m, f) => m._compile(ts.transpileModule(fs.readFileSync(f, 'utf8'), {
  compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true }, fileName: f }).outputText, f);
`;

interface FuzzSummary {
  count: number;
  accepted: number;
  rejected: number;
  seconds: number;
  perKind: Record<string, { accepted: number; rejected: number }>;
  badErrors: string[];
  messages: [string, number][];
  samples: { file: string; ours: string }[];
}

/** Python's safetensors (the Rust crate) on each file: 'ok' or its error. One interpreter for all. */
function pythonVerdicts(python: string, files: string[], listFile: string): string[] {
  fs.writeFileSync(listFile, files.join('\n'));
  const code = [
    'import json, sys',
    'from safetensors import safe_open',
    'out = []',
    'for f in open(sys.argv[1]).read().split("\\n"):',
    '    try:',
    '        with safe_open(f, framework="numpy") as st:',
    '            st.keys()',
    '        out.append("ok")',
    '    except Exception as e:',
    '        out.append(f"{type(e).__name__} {e}")',
    'print(json.dumps(out))',
  ].join('\n');
  const r = spawnSync(python, ['-c', code, listFile], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as string[];
}

const full = process.env.EMBEDFORGE_FULL_TESTS === '1';
const count = full ? 10_000 : 400;

describeIf(missing({ addon: true }), 'safetensors fuzzer', () => {
  test(`${count} mutated files: no crash, hang or signal; every refusal a clear Error naming the file`, () => {
    const dir = tmpDir('st-fuzz');
    const hook = path.join(dir, 'ts-hook.js');
    fs.writeFileSync(hook, requireHook);
    const child = path.join(__dirname, 'safetensorsFuzzChild.ts');
    const limitMs = full ? 480_000 : 60_000;
    const sampleEvery = venvPython() ? (full ? 5 : 2) : 0;
    const r = spawnSync(process.execPath, ['-r', hook, child, dir, String(count), process.env.EMBEDFORGE_FUZZ_SEED ?? '20261201', String(sampleEvery)],
      { encoding: 'utf8', timeout: limitMs, killSignal: 'SIGKILL', maxBuffer: 256 * 1024 * 1024 });
    const reproducer = path.join(dir, 'current.safetensors');
    // A signal (crash, abort, or the time limit's SIGKILL) or a failed exit: the input being loaded stays behind.
    expect({ signal: r.signal, status: r.status, stderr: r.stderr.slice(-2000), reproducer: r.status === 0 ? null : reproducer })
      .toEqual({ signal: null, status: 0, stderr: '', reproducer: null });
    const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as FuzzSummary;
    console.log(`safetensors fuzz: ${summary.count} inputs in ${summary.seconds.toFixed(1)} s, ${summary.accepted} accepted, ${summary.rejected} refused\n` +
      `per mutation: ${JSON.stringify(summary.perKind)}\n` +
      `${summary.messages.length} distinct errors (numbers as N, tensor names as '<name>'):\n` +
      summary.messages.map(([m, n]) => `${String(n).padStart(6)}  ${m}`).join('\n'));
    expect(summary.count).toBe(count);
    expect(summary.badErrors).toEqual([]);
    // Each mutation kind was exercised and most inputs were refused (the mutations mostly break the file).
    for (const [kind, c] of Object.entries(summary.perKind)) expect([kind, c.accepted + c.rejected > 0]).toEqual([kind, true]);
    expect(summary.rejected).toBeGreaterThan(count / 2);

    // The same rule as the format's reference reader: on the sampled inputs, a file-level refusal of ours
    // is a refusal of Python's safetensors (dtypes it has and we do not aside), and every file Python
    // refuses we refuse at file level. Model-level refusals (missing tensor, shape, NaN) are of valid files.
    if (summary.samples.length > 0) {
      const verdicts = pythonVerdicts(venvPython()!, summary.samples.map((x) => x.file), path.join(dir, 'sample-list.txt'));
      const fileLevel = (m: string) => m.startsWith('corrupt safetensors file');
      const disagreements = summary.samples.map((x, i) => ({ ...x, python: verdicts[i] })).filter(({ ours, python }) =>
        python === 'ok' ? fileLevel(ours) && !/unsupported dtype/.test(ours) : !fileLevel(ours));
      console.log(`compared with Python's safetensors on ${summary.samples.length} sampled inputs: ${verdicts.filter((v) => v === 'ok').length} ` +
        `accepted by Python, ${disagreements.length} disagreements`);
      expect(disagreements.slice(0, 10)).toEqual([]);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
