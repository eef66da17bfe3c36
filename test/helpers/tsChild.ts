/** Runs a TypeScript file of this repository in a child Node process (through tsRegister.js). */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'child_process';
import * as path from 'path';
import { repoRoot } from './requirements';

const register = path.join(repoRoot, 'test', 'helpers', 'tsRegister.js');

export function tsNodeArgs(script: string, args: string[]): string[] {
  return ['-r', register, path.resolve(repoRoot, script), ...args];
}

export function spawnTs(script: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, tsNodeArgs(script, args), { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function runTsSync(script: string, args: string[], timeoutMs = 300_000): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, tsNodeArgs(script, args), { cwd: repoRoot, encoding: 'utf8', timeout: timeoutMs });
}
