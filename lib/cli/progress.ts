/**
 * Training progress for people and for machines: a progress bar with loss, learning rate, speed and
 * ETA when stderr is a terminal; one JSON object per line on stdout otherwise (logs, metrics, saves).
 */
import { SingleBar } from 'cli-progress';

export interface ProgressReporter {
  start(total: number): void;
  step(globalStep: number, values: { loss?: number; learningRate?: number; samplesPerSecond?: number }): void;
  log(record: Record<string, unknown>): void;
  /** The evaluator's metrics before and after training, at full precision (JSON lines only: a terminal gets the table). */
  evaluation(when: 'before_training' | 'after_training', metrics: Record<string, number>): void;
  stop(): void;
}

function fmt(v: number | undefined, digits: number): string {
  return v === undefined || !Number.isFinite(v) ? '-' : v.toPrecision(digits);
}

class BarReporter implements ProgressReporter {
  private bar = new SingleBar({
    format: 'train |{bar}| {value}/{total} steps | loss {loss} | lr {lr} | {speed} samples/s | ETA {eta_formatted}',
    barsize: 28, hideCursor: true, etaBuffer: 20, stream: process.stderr,
  });
  private last = { loss: '-', lr: '-', speed: '-' };
  start(total: number): void {
    this.bar.start(total, 0, this.last);
  }
  step(globalStep: number, v: { loss?: number; learningRate?: number; samplesPerSecond?: number }): void {
    if (v.loss !== undefined) this.last.loss = fmt(v.loss, 4);
    if (v.learningRate !== undefined) this.last.lr = fmt(v.learningRate, 3);
    if (v.samplesPerSecond !== undefined) this.last.speed = fmt(v.samplesPerSecond, 3);
    this.bar.update(globalStep, this.last);
  }
  log(record: Record<string, unknown>): void {
    if ('loss' in record || 'learning_rate' in record) return; // shown on the bar
    process.stderr.write('\n' + JSON.stringify(record) + '\n');
  }
  evaluation(): void {
    /* the before/after table follows the run */
  }
  stop(): void {
    this.bar.stop();
  }
}

class JsonLinesReporter implements ProgressReporter {
  start(total: number): void {
    this.log({ event: 'train_start', max_steps: total });
  }
  step(): void {
    /* JSON lines carry only the logging_steps records, not every step */
  }
  log(record: Record<string, unknown>): void {
    process.stdout.write(JSON.stringify(record) + '\n');
  }
  evaluation(when: 'before_training' | 'after_training', metrics: Record<string, number>): void {
    this.log({ event: 'evaluation', when, metrics });
  }
  stop(): void {
    /* nothing buffered */
  }
}

export function createProgressReporter(forceJson = false): ProgressReporter {
  return !forceJson && process.stderr.isTTY ? new BarReporter() : new JsonLinesReporter();
}
