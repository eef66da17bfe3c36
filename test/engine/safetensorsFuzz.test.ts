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

import { describeIf, missing, repoRoot, tmpDir } from '../helpers/requirements';

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
    const r = spawnSync(process.execPath, ['-r', hook, child, dir, String(count), '20261201'], { encoding: 'utf8', timeout: limitMs, killSignal: 'SIGKILL' });
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
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
