/**
 * A child process for the kill-9 harness and the output_dir tests: trains the tiny model (test/helpers/tinyModel)
 * with the Trainer API, checkpointing often with save_total_limit so rotation runs, and prints one JSON line
 * per event on stdout: {"event":"begin","startStep"}, {"event":"step","step","loss"}, {"event":"saved","dir"},
 * {"event":"done","globalStep","alreadyFinished"}, or {"event":"error","message"} (exit code 1).
 * Usage: trainTiny.ts <work dir> <output dir> <resume: yes|no> [JSON of extra training arguments]
 */
import { MultipleNegativesRankingLoss } from '../../../lib/losses/MultipleNegativesRankingLoss';
import { Trainer } from '../../../lib/training/Trainer';
import { tinySetup } from '../../helpers/tinyModel';

export const KILL_RUN_ARGS = {
  max_steps: 24, per_device_train_batch_size: 8, learning_rate: 5e-4, warmup_ratio: 0.1, lr_scheduler_type: 'linear',
  save_strategy: 'steps', save_steps: 2, save_total_limit: 2, logging_steps: 1, batch_sampler: 'no_duplicates', seed: 7,
};

const emit = (o: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify(o) + '\n');
};

async function main(): Promise<void> {
  const [workDir, outputDir, resume, extra] = process.argv.slice(2);
  const { model, dataset } = await tinySetup(workDir);
  const trainer = new Trainer({
    model, trainDataset: dataset, loss: new MultipleNegativesRankingLoss(),
    args: { ...KILL_RUN_ARGS, ...(extra ? JSON.parse(extra) : {}), output_dir: outputDir },
    log: (line) => emit({ event: 'log', line }),
    callbacks: {
      onTrainBegin: ({ startStep }) => emit({ event: 'begin', startStep }),
      onStep: ({ globalStep, loss }) => emit({ event: 'step', step: globalStep, loss }),
      onSave: (dir) => emit({ event: 'saved', dir }),
    },
  });
  const out = await trainer.train({ resumeFromCheckpoint: resume === 'yes' ? true : undefined });
  emit({ event: 'done', globalStep: out.globalStep, alreadyFinished: out.alreadyFinished === true });
}

main().catch((err: Error) => {
  emit({ event: 'error', message: err.message });
  process.exitCode = 1;
});
