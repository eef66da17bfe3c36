/**
 * The worker-thread side of TextTokenizer.encodeManyAsync: builds the same TextTokenizer from its recipe
 * (reading tokenizer.json itself), then answers each message of texts with their token ids packed into one
 * Int32Array plus offsets (moved, not copied, back to the main thread). A null message ends the worker.
 */
import { parentPort, workerData } from 'worker_threads';
import { TextTokenizer, type TokenizerRecipe } from './TextTokenizer';

export interface TokenizeReply {
  /** Token ids of every text of the request, back to back. */
  ids: Int32Array;
  /** Text i is ids[offsets[i] .. offsets[i + 1]). */
  offsets: Int32Array;
}

const tokenizer = TextTokenizer.fromRecipe(workerData as TokenizerRecipe);
const port = parentPort!;

port.on('message', (texts: string[] | null) => {
  if (texts === null) {
    port.close();
    return;
  }
  const rows = texts.map((t) => tokenizer.encode(t));
  const offsets = new Int32Array(rows.length + 1);
  rows.forEach((r, i) => { offsets[i + 1] = offsets[i] + r.length; });
  const ids = new Int32Array(offsets[rows.length]);
  rows.forEach((r, i) => ids.set(r, offsets[i]));
  const reply: TokenizeReply = { ids, offsets };
  port.postMessage(reply, [ids.buffer, offsets.buffer]);
});
