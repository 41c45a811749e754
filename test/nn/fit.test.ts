import { describe, expect, it } from 'vitest';
import { GraphError } from '../../src/core/errors.ts';
import { sgd, type BatchLogs } from '../../src/nn/index.ts';
import { blobs, smallModel } from './helpers.ts';

describe('fitAsync: training that yields to the event loop', () => {
  const train = blobs(400);
  const make = () => smallModel({ seed: 5 }).compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 3 }) });

  it('trains exactly as fit does: the same history and the same weights', async () => {
    const [a, b] = [make(), make()];
    const sync = a.fit(train, { epochs: 3, batchSize: 10, seed: 2 });
    const async = await b.fitAsync(train, { epochs: 3, batchSize: 10, seed: 2 });
    expect(async.epochs.map((e) => [e.loss, e.accuracy])).toEqual(sync.epochs.map((e) => [e.loss, e.accuracy]));
    expect(b.getWeights()).toEqual(a.getWeights());
  });

  it('lets other work run between steps (a page keeps drawing), and fit does not', async () => {
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    const during = async (train_: () => Promise<unknown> | unknown) => {
      turns = 0;
      setImmediate(tick);
      await train_();
      const seen = turns;
      return seen;
    };
    const steps: number[] = [];
    const record = { onBatchEnd: (logs: BatchLogs) => void steps.push(logs.step) };
    const sync = await during(() => make().fit(train, { epochs: 2, batchSize: 10 }));
    const async = await during(() => make().fitAsync(train, { epochs: 2, batchSize: 10, yieldEveryMs: 0, callbacks: [record] }));
    ticking = false;
    expect(sync).toBe(0);
    expect(steps.length).toBe(80);
    expect(async).toBeGreaterThanOrEqual(40); // a turn after (nearly) every step
  });

  it('holds the model for its whole run: fit or fitAsync of the same model meanwhile is refused', async () => {
    const model = make();
    const running = model.fitAsync(train, { epochs: 2, batchSize: 10, yieldEveryMs: 0 });
    await new Promise((r) => setImmediate(r)); // it has trained a step and yielded
    expect(() => model.fit(train)).toThrow(/already training/);
    await expect(model.fitAsync(train)).rejects.toThrow(/already training/);
    expect((await running).epochs).toHaveLength(2);
    expect(model.fit(train, { epochs: 1 }).epochs).toHaveLength(1); // free again
  });

  it('refuses a yieldEveryMs that is not a number of milliseconds', async () => {
    await expect(make().fitAsync(train, { yieldEveryMs: Number.NaN })).rejects.toThrow(GraphError);
    await expect(make().fitAsync(train, { yieldEveryMs: -1 })).rejects.toThrow(/yieldEveryMs must be a number of milliseconds >= 0, got -1/);
  });
});
