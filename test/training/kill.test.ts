/**
 * The kill-9 harness: a child process trains the tiny model with a checkpoint every 2 steps and
 * save_total_limit 2 (so every save rotates one out), and is SIGKILLed: at a random moment of its training,
 * right after a checkpoint-<step> folder appears, when a checkpoint is being moved to the trash (rotation), or
 * while a checkpoint is being written (.tmp folder). After each kill: every visible checkpoint is complete and
 * loads. The next run resumes from the latest checkpoint (recovering the dead run's lock), and removes every
 * temporary folder the kill left. Each run is resumed until it completes; its step losses (for each step, the
 * last run that trained it) must equal an uninterrupted run's, within 1e-6 relative (CPU kernels are
 * deterministic and the RNG state travels in the checkpoint, so dropout is on).
 * EMBEDFORGE_FULL_TESTS=1: 24 kills; otherwise 4.
 */
import type { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { CheckpointManager } from '../../lib/training/CheckpointManager';
import { LOCK_FILE_NAME } from '../../lib/training/outputDirLock';
import { describeIf, missing, tmpDir } from '../helpers/requirements';
import { spawnTs } from '../helpers/tsChild';

const FULL = process.env.EMBEDFORGE_FULL_TESTS === '1';
const KILLS = FULL ? 24 : 4;
const MAX_STEPS = 24;
const CHILD = 'test/training/children/trainTiny.ts';
type Mode = 'random' | 'checkpoint appears' | 'rotation' | 'checkpoint being written';
const MODES: Mode[] = ['checkpoint appears', 'rotation', 'random', 'checkpoint being written'];
const LEFTOVER = /^\.(checkpoint-\d+|final)\.(tmp|old|trash)-/;

interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  events: Record<string, unknown>[];
  killed: boolean;
  began: boolean;
  stderr: string;
}

/** Runs the child; `arm` is called once it has begun training, with a kill function, and may install a trigger. */
function runChild(work: string, outDir: string, resume: boolean, arm?: (kill: () => void, child: ChildProcess) => () => void): Promise<ChildRun> {
  return new Promise((resolve) => {
    const child = spawnTs(CHILD, [work, outDir, resume ? 'yes' : 'no']);
    const run: ChildRun = { code: null, signal: null, events: [], killed: false, began: false, stderr: '' };
    let disarm: (() => void) | null = null;
    const kill = (): void => {
      if (run.killed || child.exitCode !== null) return;
      run.killed = true;
      child.kill('SIGKILL');
    };
    let buffer = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString('utf8');
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        const e = JSON.parse(line) as Record<string, unknown>;
        run.events.push(e);
        if (e.event === 'begin' && !run.began) {
          run.began = true;
          if (arm) disarm = arm(kill, child);
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => { run.stderr += d.toString('utf8'); });
    child.on('exit', (code, signal) => {
      disarm?.();
      run.code = code;
      run.signal = signal;
      // A kill sent as the child was exiting on its own does not count: it finished.
      run.killed = run.killed && signal === 'SIGKILL';
      resolve(run);
    });
  });
}

/** A trigger that kills on the first directory event whose file name matches. */
function onName(outDir: string, re: RegExp): (kill: () => void) => () => void {
  return (kill) => {
    const watcher = fs.watch(outDir, (_type, name) => {
      if (name && re.test(String(name))) kill();
    });
    return () => watcher.close();
  };
}

function hidden(outDir: string): string[] {
  return fs.existsSync(outDir) ? fs.readdirSync(outDir).filter((n) => LEFTOVER.test(n)) : [];
}

describeIf(missing({ addon: true }), 'kill -9 during training, then resume', () => {
  test(`${KILLS} SIGKILLs: checkpoints stay loadable, leftovers are cleaned, resumed losses equal an uninterrupted run`, async () => {
    const work = tmpDir('kill');
    const straightDir = path.join(work, 'straight');
    const t0 = Date.now();
    const straight = await runChild(work, straightDir, false);
    expect({ code: straight.code, stderr: straight.stderr, error: straight.events.find((e) => e.event === 'error') }).toEqual({ code: 0, stderr: '', error: undefined });
    const steps = straight.events.filter((e) => e.event === 'step');
    const reference = steps.map((e) => e.loss as number);
    expect(reference).toHaveLength(MAX_STEPS);
    const beganAt = straight.events.findIndex((e) => e.event === 'begin');
    expect(beganAt).toBeGreaterThanOrEqual(0);
    const trainingMs = Date.now() - t0; // an upper bound on the training part, used to spread random kills

    const kills: Record<Mode, number> = { random: 0, 'checkpoint appears': 0, rotation: 0, 'checkpoint being written': 0 };
    let leftoversSeen = 0;
    let leftoversCleaned = 0;
    let staleLocksRecovered = 0;
    let skippedIncomplete = 0;
    let checkpointsLoaded = 0;
    let runsCompleted = 0;
    let childStarts = 1;
    let round = 0;
    let killCount = 0;
    let identical = 0;
    let compared = 0;
    while (killCount < KILLS) {
      const outDir = path.join(work, `round-${round++}`);
      fs.mkdirSync(outDir);
      const losses = new Map<number, number>();
      let pendingLeftovers: string[] = [];
      for (;;) {
        const mode = MODES[killCount % MODES.length];
        const resume = new CheckpointManager(outDir, () => undefined).list().length > 0;
        const arm = killCount >= KILLS ? undefined
          : mode === 'random' ? (kill: () => void) => { const t = setTimeout(kill, Math.random() * trainingMs); return () => clearTimeout(t); }
            : mode === 'checkpoint appears' ? onName(outDir, /^checkpoint-\d+$/)
              : mode === 'rotation' ? onName(outDir, /\.trash-/)
                : onName(outDir, /^\.checkpoint-\d+\.tmp-/);
        const run = await runChild(work, outDir, resume, arm);
        childStarts++;
        for (const e of run.events) {
          if (e.event === 'step') losses.set(e.step as number, e.loss as number);
          if (e.event === 'log' && /removed the stale lock/.test(String(e.line))) staleLocksRecovered++;
          if (e.event === 'log' && /skipped incomplete/.test(String(e.line))) skippedIncomplete++;
        }
        if ((run.began || run.code === 0) && pendingLeftovers.length) {
          // The run after a kill removes what the kill left, before its first step.
          const still = pendingLeftovers.filter((n) => fs.existsSync(path.join(outDir, n)));
          expect(still).toEqual([]);
          leftoversCleaned += pendingLeftovers.length;
          pendingLeftovers = [];
        }
        if (run.killed) {
          killCount++;
          kills[mode]++;
          const left = hidden(outDir);
          leftoversSeen += left.length;
          pendingLeftovers.push(...left);
          for (const c of new CheckpointManager(outDir, () => undefined).list()) {
            expect({ checkpoint: c.path, problem: CheckpointManager.incompleteness(c.path) }).toEqual({ checkpoint: c.path, problem: null });
            const model = await SentenceTransformer.load(c.path, { device: 'cpu' });
            const emb = await model.encode(['where is varnexdor based ?']);
            expect(emb.every(Number.isFinite)).toBe(true);
            checkpointsLoaded++;
          }
          continue;
        }
        expect({ code: run.code, stderr: run.stderr, error: run.events.find((e) => e.event === 'error') }).toEqual({ code: 0, stderr: '', error: undefined });
        break;
      }
      runsCompleted++;
      const resumed = Array.from({ length: MAX_STEPS }, (_, i) => losses.get(i + 1));
      resumed.forEach((l, i) => {
        expect(l).toBeDefined();
        if (l === reference[i]) identical++;
        compared++;
        expect(Math.abs(l! - reference[i])).toBeLessThanOrEqual(1e-6 * Math.abs(reference[i]));
      });
      expect(hidden(outDir)).toEqual([]);
      expect(fs.existsSync(path.join(outDir, LOCK_FILE_NAME))).toBe(false);
      // Rotation keeps the last two; a kill between the last save and its rotation leaves one more (the finished
      // run's resume then changes nothing).
      const left = new CheckpointManager(outDir).list().map((c) => c.step);
      expect(left.slice(-2)).toEqual([MAX_STEPS - 2, MAX_STEPS]);
      expect(left.length).toBeLessThanOrEqual(3);
    }
    console.log([
      `kill -9 harness: ${killCount} SIGKILLs (${Object.entries(kills).map(([m, n]) => `${n} ${m}`).join(', ')}) over ${runsCompleted} runs, ${childStarts} child processes`,
      `${checkpointsLoaded} visible checkpoints checked complete and loaded after the kills; ${leftoversSeen} temporary/trash folders left by kills, ${leftoversCleaned} seen removed by the next run`,
      `${staleLocksRecovered} stale locks recovered; ${skippedIncomplete} incomplete checkpoints skipped`,
      `every completed run's ${MAX_STEPS} step losses equal the uninterrupted run's within 1e-6 relative; ${identical} of ${compared} bit-identical (steps 1-3: ${reference.slice(0, 3).map((l) => l.toFixed(6)).join(', ')})`,
    ].join('\n'));
    expect(staleLocksRecovered).toBeGreaterThan(0);
  });
});
