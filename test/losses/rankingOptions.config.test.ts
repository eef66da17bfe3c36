/**
 * Model-free checks of MultipleNegativesRankingLoss' sentence-transformers 6 options on the TypeScript side
 * (MultipleNegativesRankingLoss, CachedMultipleNegativesRankingLoss and the symmetric ones built on them):
 * snake_case and camelCase configs, defaults, the specs sent to the engine, config dicts as
 * sentence-transformers 6.0.1's get_config_dict returns them, and the options refused as it refuses them.
 */
import { lossFromConfig } from '../../lib/losses/lossRegistry';
import {
  CachedMultipleNegativesRankingLoss, CachedMultipleNegativesSymmetricRankingLoss, MultipleNegativesRankingLoss,
  MultipleNegativesSymmetricRankingLoss,
} from '../../lib/losses';

/** sentence-transformers 6.0.1: type(loss).__name__ -> loss.get_config_dict() with every default (tuples as lists). */
const ST_DEFAULT_CONFIGS: Record<string, Record<string, unknown>> = {
  MultipleNegativesRankingLoss: {
    scale: 20, similarity_fct: 'cos_sim', gather_across_devices: false, directions: ['query_to_doc'], partition_mode: 'joint',
    hardness_mode: null, hardness_strength: 0,
  },
  MultipleNegativesSymmetricRankingLoss: {
    scale: 20, similarity_fct: 'cos_sim', gather_across_devices: false, directions: ['query_to_doc', 'doc_to_query'],
    partition_mode: 'per_direction', hardness_mode: null, hardness_strength: 0,
  },
  CachedMultipleNegativesRankingLoss: {
    scale: 20, similarity_fct: 'cos_sim', mini_batch_size: 32, mini_batch_num_tokens: null, gather_across_devices: false,
    directions: ['query_to_doc'], partition_mode: 'joint', hardness_mode: null, hardness_strength: 0,
  },
  CachedMultipleNegativesSymmetricRankingLoss: {
    scale: 20, similarity_fct: 'cos_sim', mini_batch_size: 32, mini_batch_num_tokens: null, gather_across_devices: false,
    directions: ['query_to_doc', 'doc_to_query'], partition_mode: 'per_direction', hardness_mode: null, hardness_strength: 0,
  },
};

describe('MultipleNegativesRankingLoss options: configs', () => {
  test.each(Object.entries(ST_DEFAULT_CONFIGS))('%s by name alone has sentence-transformers\' defaults', (name, config) => {
    expect(lossFromConfig(name).configDict()).toEqual(config);
    expect(lossFromConfig({ name }).configDict()).toEqual(config);
  });

  test('the classes built without options have the same defaults; the default specs are unchanged InfoNCE', () => {
    const built = [new MultipleNegativesRankingLoss(), new MultipleNegativesSymmetricRankingLoss(), new CachedMultipleNegativesRankingLoss(),
      new CachedMultipleNegativesSymmetricRankingLoss()];
    for (const loss of built) expect([loss.name, loss.configDict()]).toEqual([loss.name, ST_DEFAULT_CONFIGS[loss.name]]);
    expect(new MultipleNegativesRankingLoss().toSpec()).toEqual({
      name: 'MultipleNegativesRankingLoss', scale: 20, similarity: 'cosine', directions: ['query_to_doc'], partitionMode: 'joint',
      hardnessMode: null, hardnessStrength: 0,
    });
    // The symmetric losses keep their own engine files: their specs carry no interaction options.
    expect(new MultipleNegativesSymmetricRankingLoss().toSpec()).toEqual({ name: 'MultipleNegativesSymmetricRankingLoss', scale: 20, similarity: 'cosine' });
    expect(new CachedMultipleNegativesSymmetricRankingLoss({ miniBatchNumTokens: 512 }).toSpec())
      .toEqual({ name: 'CachedMultipleNegativesSymmetricRankingLoss', scale: 20, similarity: 'cosine', miniBatchSize: 32, miniBatchNumTokens: 512 });
  });

  test('snake_case and camelCase options give the same spec and the config dict reports them', () => {
    const snake = {
      name: 'CachedMultipleNegativesRankingLoss', scale: 10, similarity_fct: 'dot_score', mini_batch_size: 8, mini_batch_num_tokens: 256,
      gather_across_devices: false, directions: ['query_to_doc', 'query_to_query', 'doc_to_query', 'doc_to_doc'], partition_mode: 'joint',
      hardness_mode: 'in_batch_negatives', hardness_strength: 9,
    };
    const camel = {
      name: 'CachedMultipleNegativesRankingLoss', scale: 10, similarityFct: 'dot', miniBatchSize: 8, miniBatchNumTokens: 256,
      directions: ['query_to_doc', 'query_to_query', 'doc_to_query', 'doc_to_doc'], partitionMode: 'joint',
      hardnessMode: 'in_batch_negatives', hardnessStrength: 9,
    };
    const spec = {
      name: 'CachedMultipleNegativesRankingLoss', scale: 10, similarity: 'dot', miniBatchSize: 8, miniBatchNumTokens: 256,
      directions: ['query_to_doc', 'query_to_query', 'doc_to_query', 'doc_to_doc'], partitionMode: 'joint', hardnessMode: 'in_batch_negatives',
      hardnessStrength: 9,
    };
    expect(lossFromConfig(snake).toSpec()).toEqual(spec);
    expect(lossFromConfig(camel).toSpec()).toEqual(spec);
    expect(lossFromConfig(snake).configDict()).toEqual({
      scale: 10, similarity_fct: 'dot_score', mini_batch_size: 8, mini_batch_num_tokens: 256, gather_across_devices: false,
      directions: ['query_to_doc', 'query_to_query', 'doc_to_query', 'doc_to_doc'], partition_mode: 'joint', hardness_mode: 'in_batch_negatives',
      hardness_strength: 9,
    });
    const symmetric = lossFromConfig({ name: 'MultipleNegativesRankingLoss', directions: ['doc_to_query', 'query_to_doc'], partition_mode: 'per_direction',
      hardness_mode: 'hard_negatives', hardness_strength: 5 });
    // The directions are kept as given (sentence-transformers keeps the tuple); the engine reads them as a set.
    expect(symmetric.toSpec()).toEqual({ name: 'MultipleNegativesRankingLoss', scale: 20, similarity: 'cosine', directions: ['doc_to_query', 'query_to_doc'],
      partitionMode: 'per_direction', hardnessMode: 'hard_negatives', hardnessStrength: 5 });
    expect(symmetric.configDict()).toMatchObject({ directions: ['doc_to_query', 'query_to_doc'], partition_mode: 'per_direction', hardness_mode: 'hard_negatives', hardness_strength: 5 });
  });

  test('a hardness mode with strength 0 warns, as sentence-transformers does, and trains without weighting', () => {
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const loss = new MultipleNegativesRankingLoss({ hardnessMode: 'hard_negatives' });
      expect(loss.configDict()).toMatchObject({ hardness_mode: 'hard_negatives', hardness_strength: 0 });
      expect(write).toHaveBeenCalledWith(expect.stringContaining("MultipleNegativesRankingLoss: hardness_mode 'hard_negatives' is set but hardness_strength is 0"));
      write.mockClear();
      new MultipleNegativesRankingLoss({ hardnessMode: 'hard_negatives', hardnessStrength: 5 });
      new MultipleNegativesRankingLoss();
      expect(write).not.toHaveBeenCalled();
    } finally {
      write.mockRestore();
    }
  });

  test('options refused as sentence-transformers refuses them, naming the loss', () => {
    const mnrl = (o: Record<string, unknown>) => () => lossFromConfig({ name: 'MultipleNegativesRankingLoss', ...o });
    expect(mnrl({ directions: [] })).toThrow('MultipleNegativesRankingLoss: at least one direction must be specified');
    expect(mnrl({ directions: ['query_to_doc', 'doc_to_docs', 'q2q'] }))
      .toThrow('MultipleNegativesRankingLoss: invalid direction(s) "doc_to_docs", "q2q"; valid: query_to_doc, query_to_query, doc_to_query, doc_to_doc');
    expect(mnrl({ directions: ['doc_to_query'] })).toThrow("MultipleNegativesRankingLoss: directions must include 'query_to_doc' (it contains the positive pair), got [doc_to_query]");
    expect(mnrl({ directions: 'query_to_doc' })).toThrow('MultipleNegativesRankingLoss: option directions must be a list of strings, got "query_to_doc"');
    expect(mnrl({ partition_mode: 'softmax' })).toThrow('MultipleNegativesRankingLoss: partition_mode must be \'joint\' or \'per_direction\', got "softmax"');
    expect(mnrl({ directions: ['query_to_doc', 'query_to_query'], partition_mode: 'per_direction' }))
      .toThrow("MultipleNegativesRankingLoss: partition_mode 'per_direction' requires every direction's candidates to include the positive pair; query_to_query never do");
    expect(mnrl({ directions: ['query_to_doc', 'doc_to_doc', 'query_to_query'], partition_mode: 'per_direction' })).toThrow('doc_to_doc and query_to_query never do');
    expect(mnrl({ hardness_mode: 'hardest' }))
      .toThrow('MultipleNegativesRankingLoss: hardness_mode must be null or one of in_batch_negatives, hard_negatives, all_negatives, got "hardest"');
    expect(mnrl({ hardness_mode: 'hard_negatives', hardness_strength: -1 })).toThrow('MultipleNegativesRankingLoss: hardness_strength must be a non-negative number, got -1');
    expect(mnrl({ gather_across_devices: true })).toThrow('MultipleNegativesRankingLoss: gather_across_devices must be false');
    expect(mnrl({ direction: ['query_to_doc'] })).toThrow('MultipleNegativesRankingLoss: unknown option(s) direction');
    // The symmetric losses fix their interaction, as sentence-transformers' constructors do: no such options.
    expect(() => lossFromConfig({ name: 'MultipleNegativesSymmetricRankingLoss', directions: ['query_to_doc'] }))
      .toThrow('MultipleNegativesSymmetricRankingLoss: unknown option(s) directions');
    expect(() => lossFromConfig({ name: 'CachedMultipleNegativesSymmetricRankingLoss', hardness_mode: 'hard_negatives' }))
      .toThrow('CachedMultipleNegativesSymmetricRankingLoss: unknown option(s) hardness_mode');
    expect(() => lossFromConfig({ name: 'CachedMultipleNegativesRankingLoss', mini_batch_num_tokens: 0 }))
      .toThrow('CachedMultipleNegativesRankingLoss: mini_batch_num_tokens must be a positive integer or null, got 0');
    expect(() => lossFromConfig({ name: 'CachedMultipleNegativesRankingLoss', directions: ['query_to_doc', 'doc_to_doc'], partition_mode: 'per_direction' }))
      .toThrow("CachedMultipleNegativesRankingLoss: partition_mode 'per_direction' requires");
    expect(() => new CachedMultipleNegativesRankingLoss({ gatherAcrossDevices: true })).toThrow('CachedMultipleNegativesRankingLoss: gather_across_devices must be false');
    expect(() => new MultipleNegativesRankingLoss({ hardnessStrength: Number.NaN })).toThrow('hardness_strength must be a non-negative number');
  });
});
