/**
 * Ready-made `fit` callbacks: early stopping, and a progress display for terminals.
 */
import { GraphError } from '../core/errors.ts';
import type { Callback, EpochLogs } from './fit.ts';
import type { Model } from './model.ts';

/** Options of {@link earlyStopping}. */
export interface EarlyStoppingOptions {
  /** What to watch (default 'valAccuracy'); accuracies should rise, losses fall. */
  monitor?: 'valAccuracy' | 'valLoss' | 'accuracy' | 'loss';
  /** Epochs without improvement before stopping (default 5). */
  patience?: number;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Put back the weights of the best epoch when training ends (default true). */
  restoreBestWeights?: boolean;
}

/** An early-stopping callback; `best` and `bestEpoch` tell what it found. */
export interface EarlyStopping extends Callback {
  /** The best value of the monitored quantity so far. */
  readonly best: number;
  /** The epoch (1-based) it was reached at. */
  readonly bestEpoch: number;
  /** The epoch training was stopped after, or null if it ran to the end. */
  readonly stoppedEpoch: number | null;
}

/**
 * A callback that stops `fit` when the monitored quantity has not improved for `patience` epochs, and
 * (by default) puts back the weights of the best epoch.
 *
 * @example
 * model.fit(train, { epochs: 50, validationData: validation, callbacks: [earlyStopping({ patience: 3 })] });
 */
export function earlyStopping(options: EarlyStoppingOptions = {}): EarlyStopping {
  const { monitor = 'valAccuracy', patience = 5, minDelta = 0, restoreBestWeights = true } = options;
  const rising = monitor.endsWith('ccuracy');
  let best = rising ? -Infinity : Infinity;
  let bestEpoch = 0;
  let wait = 0;
  let stoppedEpoch: number | null = null;
  let weights: Map<string, Float64Array> | null = null;
  return {
    get best() {
      return best;
    },
    get bestEpoch() {
      return bestEpoch;
    },
    get stoppedEpoch() {
      return stoppedEpoch;
    },
    onTrainBegin() {
      best = rising ? -Infinity : Infinity;
      wait = 0;
      stoppedEpoch = null;
      weights = null;
    },
    onEpochEnd(logs: EpochLogs, model: Model) {
      const value = logs[monitor];
      if (value === undefined) throw new GraphError(`earlyStopping: '${monitor}' is not in the epoch logs (give fit validationData?)`);
      const better = rising ? value > best + minDelta : value < best - minDelta;
      if (better) {
        best = value;
        bestEpoch = logs.epoch;
        wait = 0;
        if (restoreBestWeights) weights = model.getWeights();
      } else if (++wait >= patience) {
        stoppedEpoch = logs.epoch;
        model.stopTraining = true;
      }
    },
    onTrainEnd(_, model: Model) {
      if (restoreBestWeights && weights) model.setWeights(weights);
    },
  };
}

/** Options of {@link progressBar}. */
export interface ProgressOptions {
  /** Where to write (default: process.stdout in Node; elsewhere the console, epoch lines only). */
  /** Where to write (default: process.stdout in Node; elsewhere the console, epoch lines only). */
  stream?: {
    /** Writes text as it is (no newline added). */
    write(text: string): unknown;
    /** Whether it is a terminal: then the bar is redrawn in place. */
    isTTY?: boolean;
  };
  /** Characters of the bar (default 30). */
  width?: number;
}

/**
 * A progress bar per epoch with steps, ETA and running loss, then one line per epoch with the
 * training loss and accuracy, validation loss and accuracy, and ms per step. On a stream that is
 * not a terminal only the epoch lines are written.
 */
export function progressBar(options: ProgressOptions = {}): Callback {
  const stream = options.stream ?? defaultStream();
  const width = options.width ?? 30;
  const tty = stream.isTTY === true;
  let started = 0;
  let lastDraw = 0;
  let epochs = 0;
  return {
    onTrainBegin(info) {
      epochs = info.epochs;
    },
    onEpochBegin() {
      started = performance.now();
      lastDraw = 0;
    },
    onBatchEnd(logs) {
      if (!tty) return;
      const now = performance.now();
      if (now - lastDraw < 100 && logs.step < logs.steps) return;
      lastDraw = now;
      const done = logs.step / logs.steps;
      const filled = Math.round(done * width);
      const eta = ((now - started) / logs.step) * (logs.steps - logs.step);
      stream.write(
        `\r${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${String(logs.step).padStart(String(logs.steps).length)}/${logs.steps}  ETA ${formatSeconds(eta / 1000)}  loss ${logs.loss.toFixed(4)} `,
      );
    },
    onEpochEnd(logs) {
      if (tty) stream.write('\r\x1b[K');
      const val = logs.valAccuracy === undefined ? '' : `  val loss ${logs.valLoss!.toFixed(4)}  val acc ${(100 * logs.valAccuracy).toFixed(2)}%`;
      stream.write(
        `epoch ${String(logs.epoch).padStart(String(epochs).length)}  loss ${logs.loss.toFixed(4)}  acc ${(100 * logs.accuracy).toFixed(2)}%${val}  ${logs.msPerStep.toFixed(3)} ms/step  ${logs.seconds.toFixed(1)} s\n`,
      );
    },
  };
}

/** process.stdout where there is one (Node); else the console, one line per epoch (a page, a worker). */
function defaultStream(): NonNullable<ProgressOptions['stream']> {
  const stdout = (globalThis as { process?: { stdout?: ProgressOptions['stream'] } }).process?.stdout;
  return stdout ?? { write: (text: string) => text.trim() !== '' && console.log(text.trimEnd()), isTTY: false };
}

function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(0)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}
