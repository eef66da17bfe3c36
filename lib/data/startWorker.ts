/**
 * Starts a worker thread on a sibling module of this package. Compiled (dist/), the module is a .js file and
 * Node runs it as is. From the TypeScript sources (ts-jest, the tests), Node cannot run a .ts file, so the
 * worker first installs a require hook that transpiles .ts files with the project's TypeScript (types
 * stripped only, no checking), caching the output in the temp folder by content so later workers skip it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';

/** `dir/name.js` when built, else `dir/name.ts` run through the transpiling hook. */
export function startWorker(dir: string, name: string, workerData: unknown): Worker {
  const js = path.join(dir, `${name}.js`);
  if (fs.existsSync(js)) return new Worker(js, { workerData });
  const ts = path.join(dir, `${name}.ts`);
  if (!fs.existsSync(ts)) throw new Error(`worker module ${name} not found in ${dir} (neither .js nor .ts)`);
  return new Worker(TS_BOOTSTRAP, { eval: true, workerData: { entry: ts, workerData } });
}

/** Runs inside the worker (plain JavaScript): the .ts hook, then the entry with its own workerData. */
const TS_BOOTSTRAP = `
const threads = require('worker_threads');
const fs = require('fs'), path = require('path'), os = require('os'), crypto = require('crypto');
const Module = require('module');
const { entry, workerData } = threads.workerData;
const cacheDir = path.join(os.tmpdir(), 'embedforge-ts-worker-cache');
let typescript = null;
Module._extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const key = crypto.createHash('sha256').update(filename).update('\\0').update(source).digest('hex').slice(0, 32);
  const cached = path.join(cacheDir, key + '.js');
  let js;
  try {
    js = fs.readFileSync(cached, 'utf8');
  } catch {
    typescript = typescript || Module.createRequire(entry)('typescript');
    js = typescript.transpileModule(source, { fileName: filename, compilerOptions: {
      module: typescript.ModuleKind.CommonJS, target: typescript.ScriptTarget.ES2022, esModuleInterop: true } }).outputText;
    fs.mkdirSync(cacheDir, { recursive: true });
    const tmp = cached + '.' + process.pid + '.' + threads.threadId + '.tmp';
    fs.writeFileSync(tmp, js);
    fs.renameSync(tmp, cached);
  }
  module._compile(js, filename);
};
threads.workerData = workerData;
Module.createRequire(entry)(entry);
`;
