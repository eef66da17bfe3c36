import { DataLoader } from './DataLoader';

/**
 * sentence-transformers' NoDuplicatesDataLoader for the legacy `model.fit`: under fit it selects the
 * NO_DUPLICATES batch sampler (no text twice in a batch, for in-batch-negative losses).
 */
export class NoDuplicatesDataLoader extends DataLoader {}
