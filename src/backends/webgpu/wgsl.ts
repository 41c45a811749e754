/**
 * What every WGSL kernel shares: the one storage binding (the device memory, `m`), the grid of
 * workgroups for n invocations, index arithmetic for strided loads, and functions that keep
 * deltagraph's special-value rule (NaN in, NaN out; limits at ±∞) on the GPU. WGSL lets an
 * implementation assume no NaN or ∞ in comparisons and builtins, so the functions test NaN on
 * the bits and give ∞ and NaN from bits made at run time (a constant ∞ is a WGSL error).
 */
import type { GpuDispatch } from '../registry.ts';

/** Invocations per workgroup of the one-element-per-invocation kernels (the default limit is 256). */
export const WORKGROUP = 128;
const MAX_GROUPS = 65535;

/** Workgroups for n invocations of `size` each: along x up to the limit, then rows along y. */
export function grid(n: number, size = WORKGROUP): [number, number, number] {
  const groups = Math.max(1, Math.ceil(n / size));
  if (groups <= MAX_GROUPS) return [groups, 1, 1];
  const rows = Math.ceil(groups / MAX_GROUPS);
  return [Math.ceil(groups / rows), rows, 1];
}

/** The binding of the device memory and the special-value functions, at the top of every kernel. */
export const prelude = /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> m: array<f32>;
var<private> INF: f32;
var<private> NAN: f32;
var<private> NEG_ZERO: f32;
fn initSpecials(zero: u32) { INF = bitcast<f32>(0x7f800000u | zero); NAN = bitcast<f32>(0x7fc00000u | zero); NEG_ZERO = bitcast<f32>(0x80000000u | zero); }
fn signBit(x: f32) -> bool { return (bitcast<u32>(x) & 0x80000000u) != 0u; }
fn isNan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn isInf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
fn relu_(x: f32) -> f32 { return select(select(x, 0.0, x <= 0.0), x, isNan(x)); }
fn step_(x: f32, alpha: f32) -> f32 { return select(select(alpha, 1.0, x > 0.0), x, isNan(x)); }
fn sigmoid_(x: f32) -> f32 { return select(1.0 / (1.0 + exp(-x)), select(0.0, 1.0, x > 0.0), abs(x) > 80.0); }
fn tanh_(x: f32) -> f32 {
  if (isNan(x)) { return x; }
  let a = abs(x);
  if (a > 9.0) { return sign(x); }
  // A series near 0, where 1 − e^(−2|x|) would lose digits.
  let x2 = x * x;
  if (a < 0.1) { return x * (1.0 + x2 * (-1.0 / 3.0 + x2 * (2.0 / 15.0 + x2 * (-17.0 / 315.0)))); }
  let e = exp(-2.0 * a);
  return sign(x) * (1.0 - e) / (1.0 + e);
}
fn exp_(x: f32) -> f32 { return select(select(exp(x), 0.0, x < -104.0), select(INF, x, isNan(x)), x > 88.8 || isNan(x)); }
fn log_(x: f32) -> f32 {
  if (isNan(x)) { return x; }
  if (x < 0.0) { return NAN; }
  if (x == 0.0) { return -INF; }
  if (isInf(x)) { return INF; }
  return log(x);
}
fn sqrt_(x: f32) -> f32 { return select(select(sqrt(x), NAN, x < 0.0), x, isNan(x) || (isInf(x) && x > 0.0)); }
fn sign_(x: f32) -> f32 { return select(sign(x), x, isNan(x)); }
fn softplus_(x: f32) -> f32 {
  if (isNan(x) || isInf(x)) { return select(x, 0.0, isInf(x) && x < 0.0); }
  return max(x, 0.0) + log(1.0 + exp(-abs(x)));
}
fn softsign_(x: f32) -> f32 { return select(x / (1.0 + abs(x)), sign(x), isInf(x)); }
fn div_(a: f32, b: f32) -> f32 {
  if (isNan(a) || isNan(b)) { return NAN; }
  if (b == 0.0) { return select(select(-INF, INF, signBit(a) == signBit(b)), NAN, a == 0.0); }
  if (isInf(b)) { return select(select(NEG_ZERO, 0.0, signBit(a) == signBit(b)), NAN, isInf(a)); }
  if (isInf(a)) { return select(-INF, INF, (a > 0.0) == (b > 0.0)); }
  return a / b;
}
fn maximum_(a: f32, b: f32) -> f32 { return select(max(a, b), NAN, isNan(a) || isNan(b)); }
fn equal_(a: f32, b: f32) -> f32 { return select(0.0, 1.0, a == b && !isNan(a) && !isNan(b)); }
fn where_(c: f32, a: f32, b: f32) -> f32 { return select(select(b, a, c != 0.0), NAN, isNan(c)); }
// Math.pow's results, special values included (WGSL's pow is defined for a > 0 only).
fn pow_(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (isNan(a) || isNan(b)) { return NAN; }
  let whole = floor(b) == b && !isInf(b);
  let odd = whole && abs(b) < 16777216.0 && (i32(abs(b)) & 1) == 1;
  if (a == 0.0) { return select(select(INF, 0.0, b > 0.0), select(-INF, -0.0, b > 0.0) * select(1.0, -1.0, bitcast<u32>(a) == 0u), odd && bitcast<u32>(a) != 0u); }
  if (a < 0.0 && !whole && !isInf(a) && !isInf(b)) { return NAN; }
  let r = powAbs(abs(a), b);
  return select(r, -r, a < 0.0 && odd);
}
fn powAbs(a: f32, b: f32) -> f32 {
  // As Math.pow: 1 to the ±∞ is NaN (IEEE's pow says 1).
  if (isInf(b)) { return select(select(select(INF, 0.0, b > 0.0), select(0.0, INF, b > 0.0), a > 1.0), NAN, a == 1.0); }
  if (a == 1.0) { return 1.0; }
  if (isInf(a)) { return select(0.0, INF, b > 0.0); }
  if (b == 2.0) { return a * a; }
  if (b == 1.0) { return a; }
  if (b == 0.5) { return sqrt(a); }
  if (b == -1.0) { return 1.0 / a; }
  return exp2(b * log2(a));
}
`;

/**
 * A kernel of one invocation per element, i < n: `body` computes element i (the u32 `i`).
 * `declarations` go at module scope (helper functions, workgroup arrays).
 */
export function perElement(n: number, body: string, declarations = ''): GpuDispatch {
  const workgroups = grid(n);
  const code = `${prelude}${declarations}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  initSpecials(min(gid.x, 0u));
  let i = gid.x + gid.y * groups.x * ${WORKGROUP}u;
  if (i >= ${n}u) { return; }
${body}
}
`;
  return { code, workgroups };
}

/** A float literal WGSL accepts (finite values only: ±∞ and NaN come from the prelude's INF and NAN). */
export function f32(x: number): string {
  if (Number.isNaN(x)) return 'NAN';
  if (x === Infinity) return 'INF';
  if (x === -Infinity) return '(-INF)';
  const s = Math.fround(x).toString();
  return /[.eE]/.test(s) ? s.replace(/e\+?/, 'e') : `${s}.0`;
}
