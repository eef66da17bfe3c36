/** embedforge's programmatic API. */
export { SentenceTransformer, type LoadOptions, type CreateOptions, type SaveOptions } from './models/SentenceTransformer';
export { writeOnnxExport, onnxModelOf } from './onnx/exportOnnx';
export { Dataset, concatenateDatasets } from './data/Dataset';
export { InputExample } from './data/InputExample';
export { DenoisingAutoEncoderDataset } from './data/DenoisingAutoEncoderDataset';
export { DataLoader } from './data/DataLoader';
export { NoDuplicatesDataLoader } from './data/NoDuplicatesDataLoader';
export type { FitOptions } from './training/fit';
export * from './losses';
export {
  InformationRetrievalEvaluator, SequentialEvaluator, SentenceEvaluator, TripletEvaluator, EmbeddingSimilarityEvaluator,
  BinaryClassificationEvaluator, RerankingEvaluator, ParaphraseMiningEvaluator, type EmbeddingModel,
} from './evaluation';
export { Trainer, type TrainerOptions, type TrainOutput, type TrainerCallbacks } from './training/Trainer';
export { parseTrainingArguments, type TrainingArguments } from './training/TrainingArguments';
export { loadAddon } from './binding/addon';
export type * from './binding/AddonTypes';
export { downloadModel, type HubDownloadOptions, type HubSnapshot } from './hub/downloadModel';
export { resolveModelPath, isHubId, type ResolvedModel } from './hub/resolveModelPath';
export { pushFolderToHub, type PushToHubOptions, type PushResult } from './hub/pushToHub';
export { hubCacheDir } from './hub/hubEnvironment';
