import { runGpuKernel } from './test/backends/webgpu/gpu.ts';
const xs = [-0.001, -0.002, -0.1053605, -0.2107, -1e-4, 0.5, 3, -20, 1e-6];
const { output } = await runGpuKernel('exp', [xs], [[xs.length]]);
xs.forEach((x, i) => console.log(x, output[i], Math.exp(x), ((output[i] - Math.exp(x)) / Math.exp(x)).toExponential(2), 'ulp', ((output[i] - Math.fround(Math.exp(x))) / (2 ** -23 * Math.exp(x))).toFixed(1)));
const l = await runGpuKernel('log', [[0.999, 1.001, 2, 0.5, 1e-3]], [[5]]);
[0.999, 1.001, 2, 0.5, 1e-3].forEach((x, i) => console.log('log', x, l.output[i], Math.log(x), ((l.output[i] - Math.log(x)) / Math.log(x)).toExponential(2)));
process.exit(0);
