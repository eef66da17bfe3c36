/** Holds the output_dir lock until killed: prints {"locked": path} once held. Usage: holdLock.ts <output dir> */
import { OutputDirLock } from '../../../lib/training/outputDirLock';

const lock = OutputDirLock.acquire(process.argv[2]);
process.stdout.write(JSON.stringify({ locked: lock.file, owner: lock.owner }) + '\n');
setInterval(() => undefined, 1000);
