/**
 * The backprop playground (`npm run playground`): a port of network.py (examples/network-py.ts)
 * taken one sample at a time. It shows the forward values, then BP1–BP4 per layer with the numbers
 * filled into the formulas (from deltagraph's hand reference), the port's own ∂C/∂b and ∂C/∂w
 * beside them; a control plants each classic bug, and checkBackprop's verdict on that port is shown;
 * "train" runs the port's own sgd and draws the loss and, for the 2-D set, the decision boundary.
 */
import { MNIST_FILES, parseIdxAsync } from '../../src/nn/index.ts';
import { backprop, checkBackprop, forward, matrix, sigmoid, type Matrix, type Net } from '../../src/nn/reference/index.ts';
import { expectedBug, Network, networkPyBugs, type Column, type NetworkPyBug } from '../network-py.ts';

type Bug = NetworkPyBug | 'none';
interface DataSet {
  name: 'toy' | 'mnist';
  sizes: number[];
  train: [Column, Column][];
  test: [Column, Column][];
}

/** What the page shows, for the Chromium test and for a reader with the console open. */
interface Playground {
  ready: boolean;
  dataset: string;
  bug: Bug;
  sampleIndex: number;
  weights: number[][][];
  biases: number[][][];
  sample?: { x: number[]; y: number[]; deltas: number[][]; mine: { biasesOk: boolean[]; weightsOk: boolean[] } };
  verdict: string;
  losses: number[];
}
declare global {
  interface Window {
    playground: Playground;
  }
}
const state: Playground = { ready: false, dataset: '', bug: 'none', sampleIndex: 0, weights: [], biases: [], verdict: '', losses: [] };
window.playground = state;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = (text: string) => ($('status').textContent = text);

// ---- data ---------------------------------------------------------------------------------

/** 240 points in the unit square, class 1 where (x − ½)(y − ½) > 0: XOR by quadrants. */
function toySet(): DataSet {
  let s = 12345;
  const u = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const points: [Column, Column][] = [];
  while (points.length < 240) {
    const [p, q] = [u(), u()];
    if (Math.abs(p - 0.5) < 0.04 || Math.abs(q - 0.5) < 0.04) continue; // a small margin
    const c = (p - 0.5) * (q - 0.5) > 0 ? 1 : 0;
    points.push([[[p], [q]], c === 1 ? [[0], [1]] : [[1], [0]]]);
  }
  return { name: 'toy', sizes: [2, 3, 2], train: points.slice(0, 200), test: points.slice(200) };
}

/** 1000 training and 300 test images from MNIST's test files (the page needs no 47 MB download). */
async function mnistSet(): Promise<DataSet> {
  const read = async (name: string) => {
    const response = await fetch(`/mnist/${name}`);
    if (!response.ok) throw new Error(`GET /mnist/${name}: ${response.status} ${await response.text()}`);
    return parseIdxAsync(new Uint8Array(await response.arrayBuffer()), name);
  };
  const [images, labels] = await Promise.all([read(MNIST_FILES.testImages), read(MNIST_FILES.testLabels)]);
  const sample = (i: number): [Column, Column] => [
    Array.from({ length: 784 }, (_, k) => [images.data[i * 784 + k] / 255]),
    Array.from({ length: 10 }, (_, k) => [k === labels.data[i] ? 1 : 0]),
  ];
  return { name: 'mnist', sizes: [784, 30, 10], train: Array.from({ length: 1000 }, (_, i) => sample(i)), test: Array.from({ length: 300 }, (_, i) => sample(1000 + i)) };
}

// ---- the net and one sample ---------------------------------------------------------------

let data: DataSet;
let net: Network;
const costOf = (bug: Bug) => (bug === 'none' ? 'quadratic' : expectedBug[bug].cost);

function newNet(): void {
  net = new Network(data.sizes, { bug: state.bug === 'none' ? undefined : state.bug, cost: costOf(state.bug), seed: 5 });
  state.losses = [];
}

/** The port's weights as the reference's row-form Net. */
function referenceNet(): Net {
  return {
    weights: net.weights.map((w) => matrix(w[0].length, w.length, w[0].map((_, j) => w.map((row) => row[j])).flat())),
    biases: net.biases.map((b) => Float64Array.from(b, (r) => r[0])),
    hidden: sigmoid,
    output: sigmoid,
    cost: costOf(state.bug),
  };
}

const num = (v: number) => (Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(3) : v.toExponential(1));
/** A vector with at most `k` entries shown. */
function vec(v: ArrayLike<number>, k = 6): string {
  const shown = Array.from(v).slice(0, k).map(num).join(' ');
  return `[${shown}${v.length > k ? ` … (${v.length})` : ''}]`;
}
const rowOf = (m: Matrix) => m.data; // one sample: a 1×n row
const close = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(a[i]), Math.abs(b[i]));
  }
  return a.length === b.length && d <= 1e-9 * Math.max(s, 1e-12) + 1e-15;
};

/** One sample: the forward values and BP1–BP4 with their numbers, the port's own gradients beside. */
function showSample(): void {
  const i = ((state.sampleIndex % data.train.length) + data.train.length) % data.train.length;
  const [xc, yc] = data.train[i];
  const x = matrix(1, xc.length, xc.map((r) => r[0]));
  const y = matrix(1, yc.length, yc.map((r) => r[0]));
  const ref = referenceNet();
  const pass = forward(ref, x);
  const right = backprop(ref, x, y);
  let mine: [Column[], number[][][]] | null = null;
  let threw = '';
  try {
    mine = net.backprop(xc, yc);
  } catch (e) {
    threw = (e as Error).message;
  }
  const L = data.sizes.length - 1;

  const digit = $<HTMLCanvasElement>('digit');
  digit.style.display = data.name === 'mnist' ? 'block' : 'none';
  if (data.name === 'mnist') {
    const image = new ImageData(28, 28);
    x.data.forEach((v, k) => image.data.set([255 * v, 255 * v, 255 * v, 255], 4 * k));
    digit.getContext('2d')!.putImageData(image, 0, 0);
  }
  const fwd = [`<b>sample ${i}</b>: x = a0 = ${vec(x.data)}   y = ${vec(y.data, 10)}`];
  for (let l = 1; l <= L; l++) {
    fwd.push(`z${l} = w${l} a${l - 1} + b${l} = ${vec(rowOf(pass.zs[l - 1]))}`);
    fwd.push(`a${l} = σ(z${l})      = ${vec(rowOf(pass.activations[l]))}`);
  }
  $('forward').innerHTML = fwd.join('\n');

  const sp = (l: number) => Array.from(rowOf(pass.zs[l - 1]), sigmoid.prime);
  const lines: string[] = [];
  const biasesOk: boolean[] = [];
  const weightsOk: boolean[] = [];
  const mark = (ok: boolean | null, values: string) => (ok === null ? `<span class="wrong">yours threw: ${threw}</span>` : `<span class="${ok ? 'ok' : 'wrong'}">yours ${values} ${ok ? '✓' : '✗ wrong'}</span>`);
  for (let l = L; l >= 1; l--) {
    const delta = rowOf(right.deltas[l - 1]);
    if (l === L) {
      const cross = costOf(state.bug) === 'crossEntropy';
      lines.push(
        cross
          ? `BP1  δ${l} = a${l} − y = ${vec(rowOf(pass.activations[l]))} − ${vec(y.data)} = ${vec(delta)}`
          : `BP1  δ${l} = (a${l} − y) ⊙ σ′(z${l}) = (${vec(rowOf(pass.activations[l]))} − ${vec(y.data)}) ⊙ ${vec(sp(l))}\n          = ${vec(delta)}`,
      );
    } else {
      const deltaNext = rowOf(right.deltas[l]);
      const wNext = ref.weights[l]; // w^{l+1} in the row form, [n_l, n_{l+1}]
      const back = Array.from({ length: wNext.rows }, (_, j) => deltaNext.reduce((s, d, k) => s + d * wNext.data[j * wNext.cols + k], 0));
      lines.push(`BP2  δ${l} = (w${l + 1}ᵀ δ${l + 1}) ⊙ σ′(z${l}) = ${vec(back)} ⊙ ${vec(sp(l))}\n          = ${vec(delta)}`);
    }
    const db = right.biasGradients[l - 1];
    const dw = right.weightGradients[l - 1]; // row form [n_{l−1}, n_l]: column j of row i is ∂C/∂w^l_{ji}
    const mineB = mine ? Float64Array.from(mine[0][l - 1] ?? [], (r) => r[0]) : null;
    const mineW = mine ? mine[1][l - 1] : null;
    const bOk = mineB ? close(mineB, db) : null;
    const wRight = Array.from({ length: dw.cols }, (_, j) => Array.from({ length: dw.rows }, (_, k) => dw.data[k * dw.cols + j])); // column form
    const wOk = mineW ? mineW.length === wRight.length && mineW[0]?.length === wRight[0].length && close(mineW.flat(), wRight.flat()) : null;
    biasesOk[l - 1] = bOk === true;
    weightsOk[l - 1] = wOk === true;
    lines.push(`BP3  ∂C/∂b${l} = δ${l} = ${vec(db)}     ${mark(bOk, mineB ? vec(mineB) : '')}`);
    lines.push(`BP4  ∂C/∂w${l} = δ${l} a${l - 1}ᵀ = ${vec(delta, 3)} ${vec(rowOf(pass.activations[l - 1]), 3)}ᵀ, row 1 = ${vec(wRight[0], 4)}     ${mark(wOk, mineW ? `${mineW.length}×${mineW[0]?.length}` : '')}`);
    lines.push('');
  }
  $('backward').innerHTML = lines.join('\n');
  state.sample = { x: Array.from(x.data), y: Array.from(y.data), deltas: right.deltas.map((d) => Array.from(d.data)), mine: { biasesOk, weightsOk } };
  state.weights = net.weights.map((w) => w.map((r) => [...r]));
  state.biases = net.biases.map((b) => b.map((r) => [...r]));
}

// ---- the checker's verdict ---------------------------------------------------------------

function showVerdict(): void {
  const bug = state.bug;
  const result = checkBackprop({ network: (sizes) => new Network(sizes, { bug: bug === 'none' ? undefined : bug, cost: costOf(bug) }) }, { form: 'column', cost: costOf(bug) });
  state.verdict = result.report;
  $('verdict').textContent = result.report;
}

// ---- training ----------------------------------------------------------------------------

function meanCost(samples: [Column, Column][]): { cost: number; accuracy: number } {
  let cost = 0;
  let right = 0;
  for (const [x, y] of samples) {
    const a = net.feedforward(x).map((r) => r[0]);
    const t = y.map((r) => r[0]);
    cost += a.reduce((s, v, j) => s + 0.5 * (v - t[j]) ** 2, 0);
    if (a.indexOf(Math.max(...a)) === t.indexOf(1)) right++;
  }
  return { cost: cost / samples.length, accuracy: right / samples.length };
}

function drawBoundary(): void {
  const canvas = $<HTMLCanvasElement>('boundary');
  canvas.style.display = data.name === 'toy' ? 'block' : 'none';
  if (data.name !== 'toy') return;
  const ctx = canvas.getContext('2d')!;
  const cell = 5;
  for (let i = 0; i < canvas.width; i += cell) {
    for (let j = 0; j < canvas.height; j += cell) {
      const a = net.feedforward([[(i + cell / 2) / canvas.width], [(j + cell / 2) / canvas.height]]);
      const p = Number.isFinite(a[1][0] - a[0][0]) ? Math.max(0, Math.min(1, 0.5 + (a[1][0] - a[0][0]) / 2)) : 0.5;
      ctx.fillStyle = `rgb(${Math.round(120 + 120 * p)}, ${Math.round(170 + 30 * (1 - Math.abs(2 * p - 1)))}, ${Math.round(240 - 120 * p)})`;
      ctx.fillRect(i, j, cell, cell);
    }
  }
  for (const [x, y] of data.train) {
    ctx.fillStyle = y[1][0] === 1 ? '#d95f02' : '#1b5e9b';
    ctx.beginPath();
    ctx.arc(x[0][0] * canvas.width, x[1][0] * canvas.height, 2.5, 0, 2 * Math.PI);
    ctx.fill();
  }
}

function drawLoss(): void {
  const canvas = $<HTMLCanvasElement>('loss');
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = 'white';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const losses = state.losses.filter(Number.isFinite);
  ctx.fillStyle = '#555';
  ctx.font = '11px sans-serif';
  ctx.fillText(losses.length ? `cost ${num(losses[losses.length - 1])} after ${losses.length - 1} epochs` : 'cost per epoch', 6, 12);
  if (losses.length < 2) return;
  const max = Math.max(...losses);
  ctx.strokeStyle = '#1f77b4';
  ctx.beginPath();
  losses.forEach((v, k) => {
    const px = 6 + (k / (losses.length - 1)) * (canvas.width - 12);
    const py = canvas.height - 6 - (v / max) * (canvas.height - 24);
    k === 0 ? ctx.moveTo(px, py) : ctx.lineTo(px, py);
  });
  ctx.stroke();
}

let training = false;
async function train(epochs: number): Promise<number[]> {
  if (training) return state.losses;
  training = true;
  try {
    if (state.losses.length === 0) state.losses.push(meanCost(data.test).cost);
    for (let e = 0; e < epochs; e++) {
      try {
        net.sgd(data.train, 1, 10, 3);
      } catch (err) {
        $('train-status').textContent = `the port threw while training: ${(err as Error).message}`;
        break;
      }
      const { cost, accuracy } = meanCost(data.test);
      state.losses.push(cost);
      $('train-status').textContent = `epoch ${state.losses.length - 1}: cost ${num(cost)}, accuracy ${(100 * accuracy).toFixed(1)}% on ${data.test.length} held-out samples`;
      drawLoss();
      drawBoundary();
      await new Promise(requestAnimationFrame);
    }
  } finally {
    training = false;
  }
  showSample();
  return state.losses;
}

// ---- wiring ------------------------------------------------------------------------------

async function selectNet(name: 'toy' | 'mnist'): Promise<void> {
  state.ready = false;
  status(name === 'mnist' ? 'downloading MNIST…' : '');
  data = name === 'mnist' ? await mnistSet() : toySet();
  state.dataset = `${name} [${data.sizes}]`;
  newNet();
  state.sampleIndex = 0;
  $<HTMLInputElement>('sample').value = '0';
  showSample();
  drawBoundary();
  drawLoss();
  $('train-status').textContent = '';
  status(`${data.train.length} training samples`);
  state.ready = true;
}

function selectBug(bug: Bug): void {
  state.bug = bug;
  newNet();
  showSample();
  showVerdict();
  drawBoundary();
  drawLoss();
}

const bugSelect = $<HTMLSelectElement>('bug');
for (const bug of networkPyBugs) bugSelect.add(new Option(bug, bug));
bugSelect.addEventListener('change', () => selectBug(bugSelect.value as Bug));
$<HTMLSelectElement>('net').addEventListener('change', (e) => void selectNet((e.target as HTMLSelectElement).value as 'toy' | 'mnist').catch(fail));
$<HTMLInputElement>('sample').addEventListener('change', (e) => {
  state.sampleIndex = Number((e.target as HTMLInputElement).value) || 0;
  showSample();
});
$('next').addEventListener('click', () => {
  state.sampleIndex++;
  $<HTMLInputElement>('sample').value = String(state.sampleIndex);
  showSample();
});
$('train').addEventListener('click', () => void train(10));

function fail(err: Error): void {
  status(`error: ${err.message}`);
  console.error(err);
}

Object.assign(state, { train, selectBug, selectNet });
void selectNet('toy')
  .then(showVerdict)
  .catch(fail);
