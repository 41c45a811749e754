/**
 * A WebGPU device draws initial parameter values with the same function as the CPU devices
 * (fillInitial, into a staging array it uploads): the same float32 bits.
 */
import { describe, expect, it } from 'vitest';
import { compile, Device, Graph } from '../../../src/index.ts';
import { randomNormal } from '../../../src/nn/index.ts';
import { gpuDevice } from './gpu.ts';

describe('initial values on a WebGPU device', { timeout: 120_000 }, () => {
  it('are the float32 values a CPU device draws, bit for bit', async () => {
    const g = new Graph({ seed: 11 });
    const x = g.input('x', [null, 5]);
    const h = g.dense(x, 7, { kernelInitializer: 'heNormal', biasInitializer: randomNormal(0.5, 0.25) });
    const out = g.dense(h, 3); // glorotUniform, zeros
    const names = g.parameters.map((p) => p.name!);
    const cpu = new Device({ threads: false });
    compile(g, { outputs: [out], device: cpu });
    const device = await gpuDevice();
    const program = compile(g, { outputs: [out], device });
    for (const name of names) {
      const want = Float32Array.from(cpu.read(name));
      const got = Float32Array.from(await device.readAsync(name));
      expect(new Uint8Array(got.buffer), name).toEqual(new Uint8Array(want.buffer));
    }
    program.dispose();
  });
});
