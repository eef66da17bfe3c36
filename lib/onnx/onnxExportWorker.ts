/**
 * Worker thread of writeOnnxExport: reading the weights, transposing them and serializing the graph take
 * seconds (a minute for BERT-large), which must not block the caller's event loop. Posts the model's bytes,
 * their buffer transferred, or throws (the error reaches the caller through the worker's 'error' event).
 */
import { parentPort, workerData } from 'worker_threads';
import { onnxModelOf } from './exportOnnx';

const bytes = onnxModelOf((workerData as { modelDir: string }).modelDir);
// A copy that owns its whole buffer (protobufjs may hand out a view into a larger one), so it can be moved.
const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
parentPort!.postMessage(owned, [owned.buffer as ArrayBuffer]);
