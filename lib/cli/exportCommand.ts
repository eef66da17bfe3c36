/**
 * `embedforge export --model DIR|ID --output OUT --onnx`: OUT is the model folder plus onnx/model.onnx, the
 * layout transformers.js and onnxruntime-node users load. Written atomically: OUT appears complete or not at
 * all. With OUT the model folder itself, only onnx/model.onnx is added (itself written atomically).
 */
import * as fs from 'fs';
import * as path from 'path';
import { resolveModelPath } from '../hub/resolveModelPath';
import { readModelFolder } from '../models/ModelFolder';
import { writeOnnxExport } from '../onnx/exportOnnx';
import { writeDirAtomic } from '../training/atomicWrite';

export interface ExportCommandOptions {
  /** A model folder or a hub id. */
  model: string;
  revision?: string;
  output: string;
  onnx?: boolean;
}

/** A folder export may replace: absent, empty, or a model folder (an earlier export), never anything else. */
function checkReplaceable(output: string): void {
  if (!fs.existsSync(output)) return;
  if (!fs.statSync(output).isDirectory()) throw new Error(`--output ${output} is a file, not a folder`);
  const entries = fs.readdirSync(output);
  if (entries.length > 0 && !entries.includes('config.json') && !entries.includes('modules.json')) {
    throw new Error(`--output ${output} exists and is not a model folder; export replaces its output whole: choose a new or empty folder`);
  }
}

export async function exportCommand(o: ExportCommandOptions): Promise<{ onnxFile: string; bytes: number }> {
  if (!o.onnx) throw new Error('export: name the format: --onnx (the only one so far)');
  const { dir } = await resolveModelPath(o.model, { revision: o.revision });
  readModelFolder(dir);  // a broken folder fails here, naming the file, before anything is written
  let onnxFile: string;
  if (path.resolve(o.output) === path.resolve(dir)) {
    onnxFile = await writeOnnxExport(dir);
  } else {
    checkReplaceable(o.output);
    let relative = '';
    await writeDirAtomic(o.output, async (tmp) => {
      // dereference: a hub cache snapshot holds links into its blobs; OUT gets the files themselves.
      fs.cpSync(dir, tmp, { recursive: true, dereference: true });
      relative = path.relative(tmp, await writeOnnxExport(tmp));
    });
    onnxFile = path.join(o.output, relative);
  }
  return { onnxFile, bytes: fs.statSync(onnxFile).size };
}
