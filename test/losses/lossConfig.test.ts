/**
 * Model-free checks of the triplet, contrastive and score losses' TypeScript side: configs in
 * snake_case and camelCase, sentence-transformers' defaults (the config dicts below are what
 * sentence-transformers 6.0.1's get_config_dict returns for each class built with its defaults),
 * refused options, and data errors that name the loss, what it needs, what the data has and the row.
 */
import type { LossSpec } from '../../lib/binding/AddonTypes';
import type { LossData } from '../../lib/losses/Loss';
import { lossFromConfig } from '../../lib/losses/lossRegistry';
import {
  AnglELoss, BatchAllTripletLoss, BatchHardSoftMarginTripletLoss, BatchHardTripletLoss, BatchSemiHardTripletLoss, CoSENTLoss,
  ContrastiveLoss, CosineSimilarityLoss, OnlineContrastiveLoss, TripletLoss,
} from '../../lib/losses';

/** sentence-transformers 6.0.1: type(loss).__name__ -> loss.get_config_dict() with every default. */
const ST_DEFAULT_CONFIGS: Record<string, Record<string, unknown>> = {
  BatchAllTripletLoss: { distance_metric: 'euclidean_distance', margin: 5 },
  BatchHardTripletLoss: { distance_metric: 'euclidean_distance', margin: 5 },
  BatchHardSoftMarginTripletLoss: { distance_metric: 'euclidean_distance' },
  BatchSemiHardTripletLoss: { distance_metric: 'euclidean_distance', margin: 5 },
  TripletLoss: { distance_metric: 'TripletDistanceMetric.EUCLIDEAN', triplet_margin: 5 },
  ContrastiveLoss: { distance_metric: 'SiameseDistanceMetric.COSINE_DISTANCE', margin: 0.5, size_average: true },
  OnlineContrastiveLoss: { distance_metric: 'SiameseDistanceMetric.COSINE_DISTANCE', margin: 0.5 },
  CosineSimilarityLoss: { loss_fct: 'torch.nn.modules.loss.MSELoss', cos_score_transformation: 'torch.nn.modules.linear.Identity' },
  CoSENTLoss: { scale: 20, similarity_fct: 'pairwise_cos_sim' },
  AnglELoss: { scale: 20, similarity_fct: 'pairwise_angle_sim' },
};

const data = (inputs: string[], label: string | null = null, labels: number[] | null = null): LossData => ({
  inputs, label, labels: labels ? Float32Array.from(labels) : null, describeRow: (i) => `train.jsonl line ${i + 1}`,
});

describe('triplet, contrastive and score losses: configs', () => {
  test.each(Object.entries(ST_DEFAULT_CONFIGS))('%s by name alone has sentence-transformers\' defaults', (name, config) => {
    expect(lossFromConfig(name).configDict()).toEqual(config);
    expect(lossFromConfig({ name }).configDict()).toEqual(config);
  });

  test('the classes built without options have the same defaults', () => {
    const built = [new BatchAllTripletLoss(), new BatchHardTripletLoss(), new BatchHardSoftMarginTripletLoss(), new BatchSemiHardTripletLoss(),
      new TripletLoss(), new ContrastiveLoss(), new OnlineContrastiveLoss(), new CosineSimilarityLoss(), new CoSENTLoss(), new AnglELoss()];
    for (const loss of built) expect([loss.name, loss.configDict()]).toEqual([loss.name, ST_DEFAULT_CONFIGS[loss.name]]);
  });

  test.each<[string, Record<string, unknown>, Record<string, unknown>, LossSpec]>([
    ['BatchSemiHardTripletLoss', { distance_metric: 'cosine_distance', margin: 0.25 }, { distanceMetric: 'COSINE_DISTANCE', margin: 0.25 },
      { name: 'BatchSemiHardTripletLoss', distanceMetric: 'cosine_distance', margin: 0.25 }],
    ['BatchAllTripletLoss', { distance_metric: 'eucledian_distance', margin: 1 }, { distanceMetric: 'Euclidean_Distance', margin: 1 },
      { name: 'BatchAllTripletLoss', distanceMetric: 'euclidean_distance', margin: 1 }],
    ['BatchHardTripletLoss', { distance_metric: 'cosine_distance', margin: '0.5' }, { distanceMetric: 'cosine_distance', margin: 0.5 },
      { name: 'BatchHardTripletLoss', distanceMetric: 'cosine_distance', margin: 0.5 }],
    ['BatchHardSoftMarginTripletLoss', { distance_metric: 'cosine_distance' }, { distanceMetric: 'cosine_distance' },
      { name: 'BatchHardSoftMarginTripletLoss', distanceMetric: 'cosine_distance' }],
    ['TripletLoss', { distance_metric: 'MANHATTAN', triplet_margin: 1 }, { distanceMetric: 'manhattan', tripletMargin: 1 },
      { name: 'TripletLoss', distanceMetric: 'manhattan', tripletMargin: 1 }],
    ['ContrastiveLoss', { distance_metric: 'EUCLIDEAN', margin: 2, size_average: false }, { distanceMetric: 'euclidean', margin: 2, sizeAverage: false },
      { name: 'ContrastiveLoss', distanceMetric: 'euclidean', margin: 2, sizeAverage: false }],
    ['OnlineContrastiveLoss', { distance_metric: 'manhattan', margin: 3 }, { distanceMetric: 'MANHATTAN', margin: 3 },
      { name: 'OnlineContrastiveLoss', distanceMetric: 'manhattan', margin: 3 }],
    ['CosineSimilarityLoss', { loss_fct: 'torch.nn.L1Loss', cos_score_transformation: 'torch.nn.Identity' }, { lossFct: 'L1Loss', cosScoreTransformation: 'Identity' },
      { name: 'CosineSimilarityLoss', lossFct: 'L1Loss', cosScoreTransformation: 'Identity' }],
    ['CoSENTLoss', { similarity_fct: 'pairwise_dot_score', scale: 5 }, { similarityFct: 'dot', scale: 5 },
      { name: 'CoSENTLoss', similarity: 'dot', scale: 5 }],
    ['AnglELoss', { scale: 10 }, { scale: 10 }, { name: 'AnglELoss', scale: 10 }],
  ])('%s from snake_case and camelCase options', (name, snake, camel, spec) => {
    expect(lossFromConfig({ name, ...snake }).toSpec()).toEqual(spec);
    expect(lossFromConfig({ name, ...camel }).toSpec()).toEqual(spec);
  });

  test('config dicts name the chosen options as sentence-transformers does', () => {
    expect(lossFromConfig({ name: 'TripletLoss', distance_metric: 'cosine', triplet_margin: 1 }).configDict())
      .toEqual({ distance_metric: 'TripletDistanceMetric.COSINE', triplet_margin: 1 });
    expect(lossFromConfig({ name: 'ContrastiveLoss', distance_metric: 'euclidean' }).configDict())
      .toEqual({ distance_metric: 'SiameseDistanceMetric.EUCLIDEAN', margin: 0.5, size_average: true });
    expect(lossFromConfig({ name: 'BatchSemiHardTripletLoss', distance_metric: 'cosine_distance', margin: 0.3 }).configDict())
      .toEqual({ distance_metric: 'cosine_distance', margin: 0.3 });
    expect(lossFromConfig({ name: 'CosineSimilarityLoss', loss_fct: 'L1Loss' }).configDict())
      .toEqual({ loss_fct: 'torch.nn.modules.loss.L1Loss', cos_score_transformation: 'torch.nn.modules.linear.Identity' });
    for (const [fct, value] of [['pairwise_euclidean_sim', 'euclidean'], ['pairwise_manhattan_sim', 'manhattan'], ['pairwise_angle_sim', 'angle'], ['pairwise_cos_sim', 'cosine']]) {
      const loss = lossFromConfig({ name: 'CoSENTLoss', similarity_fct: fct });
      expect([loss.toSpec(), loss.configDict()]).toEqual([{ name: 'CoSENTLoss', scale: 20, similarity: value }, { scale: 20, similarity_fct: fct }]);
    }
    const matryoshka = lossFromConfig({ name: 'MatryoshkaLoss', loss: { name: 'BatchSemiHardTripletLoss', margin: 0.2 }, matryoshka_dims: [32, 16] }).toSpec();
    expect(matryoshka.name === 'MatryoshkaLoss' && matryoshka.loss).toEqual({ name: 'BatchSemiHardTripletLoss', distanceMetric: 'euclidean_distance', margin: 0.2 });
  });

  test('unknown options and values are refused, naming the loss', () => {
    // TripletLoss' margin is triplet_margin: a "margin" would otherwise train silently with 5.
    expect(() => lossFromConfig({ name: 'TripletLoss', margin: 1 })).toThrow('TripletLoss: unknown option(s) margin');
    expect(() => lossFromConfig({ name: 'BatchHardSoftMarginTripletLoss', margin: 1 })).toThrow('BatchHardSoftMarginTripletLoss: unknown option(s) margin');
    expect(() => lossFromConfig({ name: 'OnlineContrastiveLoss', size_average: true })).toThrow('OnlineContrastiveLoss: unknown option(s) size_average');
    expect(() => lossFromConfig({ name: 'BatchAllTripletLoss', distance_metric: 'manhattan' }))
      .toThrow('BatchAllTripletLoss: option distance_metric must be one of cosine_distance, euclidean_distance, eucledian_distance, got "manhattan"');
    expect(() => lossFromConfig({ name: 'TripletLoss', distance_metric: 'cosine_distance' })).toThrow(/TripletLoss: option distance_metric must be one of cosine, euclidean, manhattan/);
    expect(() => lossFromConfig({ name: 'ContrastiveLoss', distance_metric: 'cosine' })).toThrow(/ContrastiveLoss: option distance_metric must be one of euclidean, manhattan, cosine_distance/);
    // cos_sim is the matrix function; CoSENT needs a pairwise one.
    expect(() => lossFromConfig({ name: 'CoSENTLoss', similarity_fct: 'cos_sim' })).toThrow(/CoSENTLoss: option similarity_fct must be one of pairwise_cos_sim/);
    expect(() => lossFromConfig({ name: 'CosineSimilarityLoss', loss_fct: 'CrossEntropyLoss' })).toThrow(/CosineSimilarityLoss: option loss_fct must be one of/);
    expect(() => lossFromConfig({ name: 'ContrastiveLoss', size_average: 'yes' })).toThrow('ContrastiveLoss: option size_average must be true or false, got "yes"');
    expect(() => lossFromConfig({ name: 'BatchHardTripletLoss', margin: 'wide' })).toThrow('BatchHardTripletLoss: option margin must be a finite number, got "wide"');
    expect(() => new TripletLoss({ tripletMargin: Number.NaN })).toThrow('TripletLoss: triplet_margin must be a finite number');
    expect(() => new CoSENTLoss({ similarity: 'cos_sim' as never })).toThrow('CoSENTLoss: similarity_fct must be one of cosine, dot, euclidean, manhattan, angle, got "cos_sim"');
  });
});

describe('triplet, contrastive and score losses: data checks', () => {
  test('wrong input columns name the loss, what it needs and what the data has', () => {
    expect(() => lossFromConfig('BatchSemiHardTripletLoss').checkData(data(['anchor', 'positive'], 'label', [0, 1])))
      .toThrow('BatchSemiHardTripletLoss needs one sentence input column (plus a class label) but the data has 2 input column(s): [anchor, positive]');
    expect(() => lossFromConfig('TripletLoss').checkData(data(['anchor', 'positive'])))
      .toThrow('TripletLoss needs (anchor, positive, negative) input columns but the data has 2 input column(s): [anchor, positive]');
    expect(() => lossFromConfig('OnlineContrastiveLoss').checkData(data(['sentence'], 'label', [1])))
      .toThrow('OnlineContrastiveLoss needs (sentence_A, sentence_B) input columns (plus a 1/0 label) but the data has 1 input column(s): [sentence]');
    expect(() => lossFromConfig('CoSENTLoss').checkData(data(['a', 'b', 'c'], 'score', [0.5])))
      .toThrow('CoSENTLoss needs (sentence_A, sentence_B) input columns (plus a score) but the data has 3 input column(s): [a, b, c]');
    expect(() => lossFromConfig('AnglELoss').checkData(data(['a'], 'score', [0.5])))
      .toThrow('AnglELoss needs (sentence_A, sentence_B) input columns with a score, or (anchor, positive, negative...) input columns but the data has 1 input column(s): [a]');
  });

  test('missing labels name the loss and the label kind it needs', () => {
    expect(() => lossFromConfig('BatchHardTripletLoss').checkData(data(['sentence'])))
      .toThrow('BatchHardTripletLoss needs an integer class label column ("label") but the data has none (columns: [sentence])');
    expect(() => lossFromConfig('ContrastiveLoss').checkData(data(['sentence1', 'sentence2'])))
      .toThrow('ContrastiveLoss needs a 1/0 label column ("label") but the data has none (columns: [sentence1, sentence2])');
    expect(() => lossFromConfig('CosineSimilarityLoss').checkData(data(['sentence1', 'sentence2'])))
      .toThrow('CosineSimilarityLoss needs a float score column ("score" or "label") but the data has none (columns: [sentence1, sentence2])');
    expect(() => lossFromConfig('AnglELoss').checkData(data(['sentence1', 'sentence2']))).toThrow('AnglELoss needs a float score column');
    // TripletLoss takes no labels and says so rather than ignoring them.
    expect(() => lossFromConfig('TripletLoss').checkData(data(['anchor', 'positive', 'negative'], 'label', [1])))
      .toThrow("TripletLoss takes no labels, but the data has a 'label' column");
  });

  test('a label of the wrong kind names the row and the value', () => {
    expect(() => lossFromConfig('BatchAllTripletLoss').checkData(data(['sentence'], 'label', [0, 1, 2.5, 1])))
      .toThrow("BatchAllTripletLoss needs an integer class label column (\"label\"), but column 'label' at train.jsonl line 3 holds 2.5");
    expect(() => lossFromConfig('OnlineContrastiveLoss').checkData(data(['anchor', 'other'], 'label', [1, 0, 0, 2])))
      .toThrow("OnlineContrastiveLoss needs a 1/0 label column (\"label\"), but column 'label' at train.jsonl line 4 holds 2");
    expect(() => lossFromConfig('ContrastiveLoss').checkData(data(['anchor', 'other'], 'label', [0.5])))
      .toThrow("ContrastiveLoss needs a 1/0 label column (\"label\"), but column 'label' at train.jsonl line 1 holds 0.5");
    expect(() => lossFromConfig('CoSENTLoss').checkData(data(['a', 'b'], 'score', [0.5, Number.NaN])))
      .toThrow("CoSENTLoss needs a float score column (\"score\" or \"label\"), but column 'score' at train.jsonl line 2 holds NaN");
  });

  test('data that fits passes, including AnglELoss\' (anchor, positive, negative...) form with and without a score', () => {
    expect(() => lossFromConfig('BatchSemiHardTripletLoss').checkData(data(['sentence'], 'label', [0, 1, 0, 1]))).not.toThrow();
    expect(() => lossFromConfig('TripletLoss').checkData(data(['anchor', 'positive', 'negative']))).not.toThrow();
    expect(() => lossFromConfig('OnlineContrastiveLoss').checkData(data(['anchor', 'other'], 'label', [1, 0]))).not.toThrow();
    expect(() => lossFromConfig('CoSENTLoss').checkData(data(['a', 'b'], 'score', [0.2, 0.9]))).not.toThrow();
    expect(() => lossFromConfig('AnglELoss').checkData(data(['anchor', 'positive', 'negative']))).not.toThrow();
    expect(() => lossFromConfig('AnglELoss').checkData(data(['anchor', 'positive', 'negative', 'negative_2'], 'score', [0.7]))).not.toThrow();
    expect(() => lossFromConfig({ name: 'MatryoshkaLoss', loss: 'BatchSemiHardTripletLoss', matryoshka_dims: [8] }).checkData(data(['sentence'], 'label', [1, 2, 1])))
      .not.toThrow();
  });
});
