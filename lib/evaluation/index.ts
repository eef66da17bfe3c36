export type { EmbeddingModel, EncodeOptions } from './EmbeddingModel';
export { SentenceEvaluator, prefixMetricKeys, type EvaluationContext } from './SentenceEvaluator';
export { InformationRetrievalEvaluator, type InformationRetrievalEvaluatorOptions, type IdMap, type EvaluatorSettings } from './InformationRetrievalEvaluator';
export { SequentialEvaluator } from './SequentialEvaluator';
export { computeIrMetrics, compareIds, DEFAULT_IR_KS, type DocId, type Hit, type IrMetricKs } from './irMetrics';
export type { SearchFn } from './exactTopK';
export type { PairsOptions } from './irDatasets';
export { TripletEvaluator, type TripletEvaluatorOptions } from './TripletEvaluator';
export type { PairSimilarity } from './pairwiseSimilarity';
