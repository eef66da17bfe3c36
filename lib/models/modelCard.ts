/**
 * The model card README.md written beside a saved model: the Hugging Face metadata block that the hub
 * and sentence-transformers read, then what a reader needs to reproduce and use the model.
 */
export interface ModelCardData {
  modelName?: string;
  /** The hub id the model was pushed to (set by pushToHub): the usage examples load it by that id. */
  modelId?: string;
  baseModel?: string;
  language?: string;
  license?: string;
  /** Loss class name and its options. */
  loss?: { name: string; config: Record<string, unknown> };
  /** Training arguments that differ from the defaults, snake_case as in sentence-transformers. */
  trainingArguments?: Record<string, unknown>;
  trainingExamples?: number;
  /** Final evaluation metrics, by sentence-transformers' key. */
  metrics?: Record<string, number>;
  /** Metrics before training, for the before/after table. */
  baselineMetrics?: Record<string, number>;
}

export interface ModelCardModel {
  embeddingDim: number;
  maxSeqLength: number;
  pooling: string;
  normalize: boolean;
  similarityFunction: string;
}

function yamlString(s: string): string {
  return /^[\w.\-/]+$/.test(s) ? s : JSON.stringify(s);
}

export function renderModelCard(model: ModelCardModel, data: ModelCardData, versions: Record<string, string>): string {
  const lines: string[] = ['---'];
  if (data.language) lines.push(`language:\n- ${yamlString(data.language)}`);
  if (data.license) lines.push(`license: ${yamlString(data.license)}`);
  if (data.baseModel) lines.push(`base_model: ${yamlString(data.baseModel)}`);
  lines.push('library_name: sentence-transformers', 'pipeline_tag: sentence-similarity');
  lines.push('tags:', '- sentence-transformers', '- sentence-similarity', '- feature-extraction', '- embedforge');
  if (data.loss) lines.push(`- loss:${data.loss.name}`);
  lines.push('---', '', `# ${data.modelName ?? 'SentenceTransformer model'}`, '');
  lines.push(
    `A sentence-transformers model${data.baseModel ? ` fine-tuned from ${data.baseModel}` : ''} with embedforge. ` +
      `It maps text to a ${model.embeddingDim}-dimensional dense vector for retrieval and semantic similarity.`, '',
    '## Model details', '',
    `- Maximum sequence length: ${model.maxSeqLength} tokens`,
    `- Output dimensionality: ${model.embeddingDim}`,
    `- Pooling: ${model.pooling}${model.normalize ? ', then normalized to unit length' : ''}`,
    `- Similarity function: ${model.similarityFunction}`, '',
    '## Usage', '', '```python', 'from sentence_transformers import SentenceTransformer', '',
    `model = SentenceTransformer("${data.modelId ?? 'path/to/this/folder'}")`,
    'embeddings = model.encode(["What was the revenue in 2021?"])', '```', '',
    '```ts', "import { SentenceTransformer } from 'embedforge';", '',
    `const model = await SentenceTransformer.load('${data.modelId ?? 'path/to/this/folder'}');`,
    "const embeddings = await model.encode(['What was the revenue in 2021?']);", '```', '',
  );
  if (data.metrics && Object.keys(data.metrics).length) {
    lines.push('## Evaluation', '', '| metric | ' + (data.baselineMetrics ? 'before | ' : '') + 'value |', '|---|' + (data.baselineMetrics ? '---|' : '') + '---|');
    for (const [k, v] of Object.entries(data.metrics)) {
      const before = data.baselineMetrics?.[k];
      lines.push(`| ${k} | ${data.baselineMetrics ? `${before === undefined ? '' : before.toFixed(4)} | ` : ''}${v.toFixed(4)} |`);
    }
    lines.push('');
  }
  if (data.loss || data.trainingArguments) {
    lines.push('## Training details', '');
    if (data.trainingExamples !== undefined) lines.push(`- Training examples: ${data.trainingExamples}`);
    if (data.loss) lines.push(`- Loss: \`${data.loss.name}\` with \`${JSON.stringify(data.loss.config)}\``);
    if (data.trainingArguments) {
      lines.push('', '### Training arguments', '');
      for (const [k, v] of Object.entries(data.trainingArguments)) lines.push(`- \`${k}\`: ${JSON.stringify(v)}`);
    }
    lines.push('');
  }
  lines.push('## Framework versions', '');
  for (const [k, v] of Object.entries(versions)) lines.push(`- ${k}: ${v}`);
  lines.push('');
  return lines.join('\n');
}
