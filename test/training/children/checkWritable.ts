/** Prints {"ok":true} or {"error": message} for checkOutputDirWritable(<dir>). Usage: checkWritable.ts <dir> */
import { checkOutputDirWritable } from '../../../lib/training/outputDirWritable';

try {
  checkOutputDirWritable(process.argv[2]);
  process.stdout.write(JSON.stringify({ ok: true }) + '\n');
} catch (err) {
  process.stdout.write(JSON.stringify({ error: (err as Error).message }) + '\n');
}
