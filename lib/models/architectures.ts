/**
 * The transformer architectures the engine implements, as a model folder's config.json names them
 * (model_type, or the first "architectures" entry of configs without it). The engine's own table
 * (native/engine/EncoderFactory.cpp) must list the same model types: the addon's supportedModelTypes()
 * is checked against this one by a test. Reading a folder checks the config here, so that an error names
 * the file; the engine checks again, deeper down.
 */

export interface Architecture {
  modelType: string;
  /** How messages name it. */
  family: string;
  /** "architectures" entries of this family start so (configs without model_type). */
  architecturePrefix: string;
  /** Position rows before the first token's (RoBERTa-style tables start at padding_idx + 1). */
  positionOffset(config: Record<string, unknown>): number;
  /** transformers' default max_position_embeddings for a config that omits it. */
  defaultMaxPositions: number;
}

const none = (): number => 0;
/** RoBERTa and XLM-RoBERTa count positions from padding_idx + 1 = pad_token_id + 1 (default 1). */
const afterPadding = (config: Record<string, unknown>): number => (typeof config.pad_token_id === 'number' ? config.pad_token_id : 1) + 1;
/** MPNet's padding_idx is 1 whatever pad_token_id says (transformers fixes it): positions start at 2. */
const afterMpnetPadding = (): number => 2;

export const ARCHITECTURES: readonly Architecture[] = [
  { modelType: 'bert', family: 'BERT-family', architecturePrefix: 'Bert', positionOffset: none, defaultMaxPositions: 512 },
  { modelType: 'roberta', family: 'RoBERTa', architecturePrefix: 'Roberta', positionOffset: afterPadding, defaultMaxPositions: 512 },
  { modelType: 'xlm-roberta', family: 'XLM-RoBERTa', architecturePrefix: 'XLMRoberta', positionOffset: afterPadding, defaultMaxPositions: 512 },
  { modelType: 'mpnet', family: 'MPNet', architecturePrefix: 'MPNet', positionOffset: afterMpnetPadding, defaultMaxPositions: 512 },
  { modelType: 'modernbert', family: 'ModernBERT', architecturePrefix: 'ModernBert', positionOffset: none, defaultMaxPositions: 8192 },
];

export function supportedArchitecturesText(): string {
  const parts = ARCHITECTURES.map((a) => `${a.family} (model_type "${a.modelType}")`);
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/** The architecture a config names, or an error naming the file, what it names and what is supported. */
export function architectureOf(config: Record<string, unknown>, file: string): Architecture {
  const modelType = config.model_type;
  if (modelType !== undefined && modelType !== null) {
    const found = ARCHITECTURES.find((a) => a.modelType === modelType);
    if (found) return found;
    throw new Error(`${file}: "model_type" is ${JSON.stringify(modelType)}; embedforge supports ${supportedArchitecturesText()}`);
  }
  const first = Array.isArray(config.architectures) && typeof config.architectures[0] === 'string' ? config.architectures[0] : null;
  // Longest prefix first: "XLMRoberta..." must not be taken for another family's prefix.
  const byPrefix = [...ARCHITECTURES].sort((a, b) => b.architecturePrefix.length - a.architecturePrefix.length);
  const found = first === null ? undefined : byPrefix.find((a) => first.startsWith(a.architecturePrefix));
  if (found) return found;
  throw new Error(`${file}: ${first ? `"architectures" names ${first}` : 'neither "model_type" nor "architectures" is given'}; embedforge supports ${supportedArchitecturesText()}`);
}

/** The longest text in tokens the model allows: its position table less the offset (ModernBERT's rotary positions: max_position_embeddings). */
export function maxTextLength(config: Record<string, unknown>, architecture: Architecture): number {
  const table = typeof config.max_position_embeddings === 'number' ? config.max_position_embeddings : architecture.defaultMaxPositions;
  return table - architecture.positionOffset(config);
}
