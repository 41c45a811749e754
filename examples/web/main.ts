/**
 * The demo page: draw a digit, see what a deltagraph net makes of it. The stroke is prepared the
 * way MNIST was made (toMnistDigit), the 28x28 result is shown, and the net's ten outputs are drawn
 * as bars. A shipped model (public/model.dgm) loads at start; a model file can be chosen; "Train"
 * trains a fresh net in a Web Worker (worker.ts) with a live loss curve, then uses it.
 */
import { wasmFeatures, type WasmFeatures } from '../../src/index.ts';
import { DataError, modelFromBytes, toMnistDigit, type Model } from '../../src/nn/index.ts';
import type { TrainRequest, WorkerMessage } from './worker.ts';

/** What the page shows, for the browser test (test/web/demo.test.ts) and the console. */
interface DemoState {
  modelName: string;
  /** The ten outputs of the last drawing, normalised to sum 1; null when nothing is drawn. */
  scores: number[] | null;
  features: WasmFeatures;
  crossOriginIsolated: boolean;
  training: TrainingState | null;
  /** Reads the pad again (the pointer events call it; a test that paints on the pad calls it too). */
  recognise(): void;
}

interface TrainingState {
  status: 'running' | 'done' | 'failed';
  request: TrainRequest;
  losses: { step: number; loss: number }[];
  epochs: Extract<WorkerMessage, { type: 'epoch' }>[];
  result?: Omit<Extract<WorkerMessage, { type: 'done' }>, 'model' | 'type'>;
  error?: string;
  /** Longest gap between two animation frames of the page while the worker trained, ms. */
  maxFrameGapMs: number;
}

declare global {
  interface Window {
    demo: DemoState;
  }
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const pad = $<HTMLCanvasElement>('pad');
const ctx = pad.getContext('2d', { willReadFrequently: true })!;
const preview = $<HTMLCanvasElement>('preview').getContext('2d')!;
const status = $('status');

let model: Model | null = null;
const demo: DemoState = {
  modelName: '',
  scores: null,
  features: wasmFeatures(),
  crossOriginIsolated: globalThis.crossOriginIsolated === true,
  training: null,
  recognise,
};
window.demo = demo;

const bars = Array.from({ length: 10 }, (_, digit) => {
  const row = document.createElement('div');
  row.className = 'bar';
  row.innerHTML = `<b>${digit}</b><div class="track"><div class="fill"></div></div><span class="pct"></span>`;
  $('bars').append(row);
  return { row, fill: row.querySelector<HTMLElement>('.fill')!, pct: row.querySelector<HTMLElement>('.pct')! };
});

$('features').textContent =
  `WebAssembly SIMD ${yes(demo.features.simd)}, relaxed-SIMD FMA ${yes(demo.features.fma)}, ` +
  `helper thread ${yes(demo.features.threads)} (cross-origin isolated: ${yes(demo.crossOriginIsolated)})`;

// --- drawing --------------------------------------------------------------------------------------

function clear(): void {
  ctx.fillStyle = 'white';
  ctx.fillRect(0, 0, pad.width, pad.height);
  recognise();
}

let last: { x: number; y: number } | null = null;
let pending = false;
const at = (e: PointerEvent) => {
  const r = pad.getBoundingClientRect();
  return { x: ((e.clientX - r.left) * pad.width) / r.width, y: ((e.clientY - r.top) * pad.height) / r.height };
};
pad.addEventListener('pointerdown', (e) => {
  pad.setPointerCapture(e.pointerId);
  last = at(e);
  stroke(last, last);
});
pad.addEventListener('pointermove', (e) => {
  if (!last) return;
  const next = at(e);
  stroke(last, next);
  last = next;
  // At most one recognition per frame while drawing.
  if (!pending) {
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      recognise();
    });
  }
});
const end = () => {
  if (!last) return;
  last = null;
  recognise();
};
pad.addEventListener('pointerup', end);
pad.addEventListener('pointercancel', end);
$('clear').addEventListener('click', clear);

function stroke(from: { x: number; y: number }, to: { x: number; y: number }): void {
  ctx.strokeStyle = 'black';
  ctx.lineWidth = 22;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.beginPath();
  ctx.moveTo(from.x, from.y);
  ctx.lineTo(to.x, to.y);
  ctx.stroke();
}

// --- recognising ----------------------------------------------------------------------------------

function recognise(): void {
  const { data, width, height } = ctx.getImageData(0, 0, pad.width, pad.height);
  let digit: Float32Array | null = null;
  try {
    digit = toMnistDigit(data, width, height);
  } catch (err) {
    if (!(err instanceof DataError)) throw err; // no ink yet: nothing to show
  }
  const image = preview.createImageData(28, 28);
  digit?.forEach((v, i) => image.data.set([255 * v, 255 * v, 255 * v, 255], 4 * i));
  preview.putImageData(image, 0, 0);
  demo.scores = digit && model ? normalised(model.predict(digit)) : null;
  const best = demo.scores ? demo.scores.indexOf(Math.max(...demo.scores)) : -1;
  $('guess').textContent = best >= 0 ? String(best) : '';
  bars.forEach((bar, k) => {
    const p = demo.scores?.[k] ?? 0;
    bar.fill.style.width = `${(100 * p).toFixed(1)}%`;
    bar.pct.textContent = demo.scores ? `${(100 * p).toFixed(1)}%` : '';
    bar.row.classList.toggle('top', k === best);
  });
}

/** Sigmoid outputs (Nielsen's nets) as shares of their sum; softmax outputs stay as they are. */
function normalised(outputs: Float32Array): number[] {
  const sum = outputs.reduce((s, v) => s + v, 0);
  return Array.from(outputs, (v) => (sum > 0 ? v / sum : 0.1));
}

function useModel(next: Model, name: string): void {
  if (next.features !== 784 || next.classes !== 10) {
    next.dispose();
    throw new Error(`${name} maps ${next.features} inputs to ${next.classes} outputs; the pad needs an MNIST model, 784 → 10`);
  }
  model?.dispose();
  model = next;
  demo.modelName = name;
  status.textContent = `model: ${name}`;
  recognise();
}

async function loadShipped(): Promise<void> {
  const response = await fetch('model.dgm');
  if (!response.ok) throw new Error(`GET model.dgm: ${response.status}`);
  useModel(modelFromBytes(new Uint8Array(await response.arrayBuffer()), 'model.dgm'), 'model.dgm (shipped, [784,100,10])');
}

$<HTMLInputElement>('file').addEventListener('change', async (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (!file) return;
  try {
    useModel(modelFromBytes(new Uint8Array(await file.arrayBuffer()), file.name), file.name);
  } catch (err) {
    status.textContent = `could not load ${file.name}: ${(err as Error).message}`; // the user's file: said on the page
  }
});

// --- training in a worker -------------------------------------------------------------------------

const lossCanvas = $<HTMLCanvasElement>('loss');
const trainStatus = $('train-status');
const trainButton = $<HTMLButtonElement>('train');

trainButton.addEventListener('click', () => {
  const number = (id: string) => Number($<HTMLInputElement>(id).value);
  const backend = $<HTMLSelectElement>('backend').value as TrainRequest['backend'];
  train({ hidden: number('hidden'), epochs: number('epochs'), limit: number('limit'), batchSize: 10, seed: 1, backend });
});

function train(request: TrainRequest): void {
  trainButton.disabled = true;
  const state: TrainingState = { status: 'running', request, losses: [], epochs: [], maxFrameGapMs: 0 };
  demo.training = state;
  $('epochs-log').textContent = '';
  drawLosses(state);
  // Watch the page's frames while the worker trains: they must keep coming.
  let previous = performance.now();
  const frame = (now: number) => {
    state.maxFrameGapMs = Math.max(state.maxFrameGapMs, now - previous);
    previous = now;
    if (state.status === 'running') requestAnimationFrame(frame);
  };
  requestAnimationFrame((now) => {
    previous = now;
    requestAnimationFrame(frame);
  });

  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'deltagraph training' });
  const finish = (outcome: 'done' | 'failed') => {
    state.status = outcome;
    trainButton.disabled = false;
    worker.terminate();
  };
  worker.onerror = (e) => {
    state.error = e.message;
    trainStatus.textContent = `training failed: ${e.message}`;
    finish('failed');
  };
  worker.onmessage = ({ data: m }: MessageEvent<WorkerMessage>) => {
    if (m.type === 'status') trainStatus.textContent = m.text;
    else if (m.type === 'loss') {
      state.losses.push({ step: m.step, loss: m.loss });
      drawLosses(state);
    } else if (m.type === 'epoch') {
      state.epochs.push(m);
      $('epochs-log').textContent += `epoch ${m.epoch}: train ${pct(m.accuracy)}, val ${pct(m.valAccuracy)}, ${m.msPerStep.toFixed(3)} ms/step on ${request.backend === 'webgpu' ? 'the GPU' : 'the CPU'}\n`;
    } else if (m.type === 'done') {
      const { model: bytes, type: _, ...result } = m;
      state.result = result;
      trainStatus.textContent = `trained on ${m.backend}: ${pct(m.testAccuracy)} on the 10,000 test images, ${m.msPerStep.toFixed(3)} ms/step; helper thread in the worker: ${yes(m.helperThread)}`;
      finish('done');
      useModel(modelFromBytes(new Uint8Array(bytes), 'trained in the page'), `trained in the page ([784,${request.hidden},10], ${pct(m.testAccuracy)})`);
    } else {
      state.error = m.message;
      trainStatus.textContent = `training failed: ${m.message}`;
      console.error(`training failed: ${m.message}`);
      finish('failed');
    }
  };
  worker.postMessage(request);
}

/** The loss curve so far: mean training loss per few steps, against steps. */
function drawLosses(state: TrainingState): void {
  const c = lossCanvas.getContext('2d')!;
  const { width, height } = lossCanvas;
  const m = { left: 44, right: 8, top: 16, bottom: 20 };
  c.fillStyle = 'white';
  c.fillRect(0, 0, width, height);
  c.fillStyle = '#333';
  c.font = '11px sans-serif';
  c.fillText('training loss', m.left, 11);
  c.strokeStyle = '#999';
  c.strokeRect(m.left, m.top, width - m.left - m.right, height - m.top - m.bottom);
  const points = state.losses;
  if (points.length === 0) return;
  const hi = Math.max(...points.map((p) => p.loss));
  const lo = Math.min(0, ...points.map((p) => p.loss));
  const steps = Math.max(points.at(-1)!.step, 1);
  const x = (s: number) => m.left + (s / steps) * (width - m.left - m.right);
  const y = (v: number) => m.top + (1 - (v - lo) / (hi - lo || 1)) * (height - m.top - m.bottom);
  c.fillText(hi.toPrecision(2), 4, m.top + 8);
  c.fillText(lo.toPrecision(2), 4, height - m.bottom);
  c.fillText(`${steps} steps`, width - m.right - 60, height - 5);
  c.strokeStyle = '#1f77b4';
  c.lineWidth = 2;
  c.beginPath();
  points.forEach((p, i) => (i ? c.lineTo(x(p.step), y(p.loss)) : c.moveTo(x(p.step), y(p.loss))));
  c.stroke();
}

function pct(v: number): string {
  return `${(100 * v).toFixed(2)}%`;
}

function yes(v: boolean): string {
  return v ? 'yes' : 'no';
}

clear();
loadShipped().catch((err: Error) => {
  status.textContent = `could not load the shipped model: ${err.message}`;
  console.error(err);
});
