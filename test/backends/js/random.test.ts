import { describe, expect, it } from 'vitest';
import { compile, Device, Graph } from '../../../src/index.ts';
import '../../../src/nn/layers.ts';

describe('dropoutMask: a new mask every training step', () => {
  // The plan binds its kernels again when the memory grows (here: another program on the same
  // device needs room); the mask stream must go on, not start over from the node's seed.
  const masks = (growAfter: number | null) => {
    const g = new Graph({ seed: 7 });
    const x = g.input('x', [null, 64]);
    const device = new Device({ threads: false });
    const program = compile(g, { outputs: [g.dropout(x, 0.5)], training: true, device });
    const ones = new Float32Array(4 * 64).fill(1);
    const seen: number[][] = [];
    for (let step = 0; step < 4; step++) {
      if (step === growAfter) {
        const big = new Graph({ seed: 1 });
        const w = big.parameter('w', [1024, 1024]);
        compile(big, { outputs: [w.mul(2)], device }).run(); // grows the memory
      }
      seen.push(Array.from(program.run({ x: ones })[0]));
    }
    device.dispose();
    return seen;
  };

  it('goes on from step to step, the same whether or not the memory grew in between', () => {
    const steady = masks(null);
    expect(new Set(steady.map((m) => m.join())).size).toBe(4); // four different masks
    expect(masks(2)).toEqual(steady);
  });
});
