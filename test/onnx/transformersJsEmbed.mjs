// transformers.js (@huggingface/transformers, ESM only, so outside jest's sandbox) embeds texts with an exported
// folder, offline: reads {root, name, texts, pooling, normalize} from the JSON file argv[2], prints the vectors as JSON.
import { readFileSync } from 'node:fs';
import { env, pipeline } from '@huggingface/transformers';

const request = JSON.parse(readFileSync(process.argv[2], 'utf8'));
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = request.root;
const extractor = await pipeline('feature-extraction', request.name, { dtype: 'fp32', device: 'cpu' });
const output = await extractor(request.texts, { pooling: request.pooling, normalize: request.normalize });
process.stdout.write(JSON.stringify({ rows: output.tolist() }));
