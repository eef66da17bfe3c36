import * as fs from 'fs';
import * as path from 'path';
import { TrainerState } from '../../lib/training/TrainerState';
import { describeIf, missing, tmpDir } from '../helpers/requirements';
import { reference } from './reference';

function sample(): TrainerState {
  const s = new TrainerState();
  s.epoch = 1.5;
  s.globalStep = 30;
  s.maxSteps = 40;
  s.loggingSteps = 10;
  s.evalSteps = 10;
  s.saveSteps = 10;
  s.trainBatchSize = 16;
  s.numTrainEpochs = 2;
  s.logHistory = [
    { loss: 1.25, grad_norm: 3.5, learning_rate: 4e-5, epoch: 0.5, step: 10 },
    { eval_loss: 0.75, 'eval_sts-dev_spearman_cosine': 0.8125, eval_runtime: 1.5, epoch: 1.5, step: 30 },
  ];
  s.bestMetric = 0.8125;
  s.bestGlobalStep = 30;
  s.bestModelCheckpoint = 'out/checkpoint-30';
  return s;
}

describe('TrainerState', () => {
  it('writes the keys transformers writes, sorted, and reads them back', async () => {
    const file = path.join(tmpDir('state'), 'trainer_state.json');
    await sample().save(file);
    const text = fs.readFileSync(file, 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    const json = JSON.parse(text);
    expect(Object.keys(json)).toEqual([...Object.keys(json)].sort());
    expect(Object.keys(json.log_history[0])).toEqual(['epoch', 'grad_norm', 'learning_rate', 'loss', 'step']);
    expect(json).toMatchObject({ global_step: 30, best_model_checkpoint: 'out/checkpoint-30', train_batch_size: 16, epoch: 1.5 });
    expect(TrainerState.load(file)).toEqual(sample());
  });

  it('reads Python NaN/Infinity values as null', () => {
    const file = path.join(tmpDir('state'), 'trainer_state.json');
    fs.writeFileSync(file, '{"global_step": 3, "log_history": [{"loss": NaN, "grad_norm": Infinity, "step": 3}], "best_metric": -Infinity}');
    const s = TrainerState.load(file);
    expect(s.logHistory).toEqual([{ loss: null, grad_norm: null, step: 3 }]);
    expect(s.bestMetric).toBeNull();
  });

  it('names the file and the field when the state is broken', () => {
    const dir = tmpDir('state');
    const bad = path.join(dir, 'trainer_state.json');
    fs.writeFileSync(bad, '{"global_step": "ten"}');
    expect(() => TrainerState.load(bad)).toThrow(`${bad}: invalid trainer state: "global_step"`);
    fs.writeFileSync(bad, '{"global_step": ');
    expect(() => TrainerState.load(bad)).toThrow(`${bad}: not valid JSON`);
    expect(() => TrainerState.load(path.join(dir, 'nope.json'))).toThrow(/cannot read trainer state .*nope.json/);
  });
});

describeIf(missing({ python: true }), 'TrainerState vs transformers.TrainerState', () => {
  it('is loaded by transformers, and what transformers writes back loads here unchanged', async () => {
    const dir = tmpDir('state-py');
    const ours = path.join(dir, 'ours.json');
    await sample().save(ours);
    const [text] = reference<string>('state', [{ text: fs.readFileSync(ours, 'utf8') }]);
    expect(JSON.parse(text)).toEqual(sample().toJSON());
    const theirs = path.join(dir, 'theirs.json');
    fs.writeFileSync(theirs, text);
    expect(TrainerState.load(theirs)).toEqual(sample());
  });
});
