/**
 * Lets a child process `require` the TypeScript sources directly (node -r test/helpers/tsRegister.js x.ts),
 * so process-level tests (kills, signals, two concurrent runs) exercise lib/ as it is, without a dist build.
 * Types are not checked here: the jest run and tsc do that.
 */
const fs = require('fs');
const ts = require('typescript');

require.extensions['.ts'] = function compileTs(module, filename) {
  const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, resolveJsonModule: true, inlineSourceMap: true },
  });
  module._compile(out.outputText, filename);
};
