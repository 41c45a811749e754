/**
 * A small WebAssembly binary emitter: enough of the format (types, an imported memory, functions,
 * exports) and of the instruction set (integer arithmetic, loops, f32 and SIMD128) to generate
 * kernels from TypeScript at run time. No toolchain, no dependency: `npm install` is enough.
 */

export const i32 = 0x7f;
export const f32 = 0x7d;
export const v128 = 0x7b;
export type ValueType = typeof i32 | typeof f32 | typeof v128;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const utf8 = (s: string) => [...new TextEncoder().encode(s)];
const vector = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];

/** A local variable handle inside a function being built. */
export type Local = number & { readonly __local: true };

/**
 * The body of one function. Methods append instructions and return `this`, so code reads in
 * stack order: `f.get(a).get(b).i32Add().set(c)`.
 */
export class FunctionBuilder {
  readonly bytes: number[] = [];
  private readonly locals: ValueType[] = [];
  /** Calls of other functions of the module, by name: where their index goes in `bytes`. */
  readonly calls: { at: number; name: string }[] = [];

  constructor(
    readonly name: string,
    readonly params: readonly ValueType[],
    /** What it returns: the values left on the stack at its end. */
    readonly results: readonly ValueType[] = [],
  ) {}

  /** A parameter's local. */
  param(i: number): Local {
    return i as Local;
  }

  local(type: ValueType): Local {
    this.locals.push(type);
    return (this.params.length + this.locals.length - 1) as Local;
  }

  /** A one-byte scalar instruction by its opcode (f32.sub 0x93, f32.div 0x95, f32.neg 0x8c, …). */
  scalarOp(code: number): this {
    return this.op(code);
  }

  private op(...bytes: number[]): this {
    this.bytes.push(...bytes);
    return this;
  }
  private simd(code: number, ...rest: number[]): this {
    return this.op(0xfd, ...uleb(code), ...rest);
  }

  get(l: Local): this {
    return this.op(0x20, ...uleb(l));
  }
  set(l: Local): this {
    return this.op(0x21, ...uleb(l));
  }
  tee(l: Local): this {
    return this.op(0x22, ...uleb(l));
  }
  i32(n: number): this {
    return this.op(0x41, ...sleb(n | 0));
  }
  i32Add(): this {
    return this.op(0x6a);
  }
  i32Sub(): this {
    return this.op(0x6b);
  }
  i32Mul(): this {
    return this.op(0x6c);
  }
  i32DivU(): this {
    return this.op(0x6e);
  }
  i32RemU(): this {
    return this.op(0x70);
  }
  i32Shl(): this {
    return this.op(0x74);
  }
  i32ShrU(): this {
    return this.op(0x76);
  }
  i32Or(): this {
    return this.op(0x72);
  }
  /** i32.and */
  i32And(): this {
    return this.op(0x71);
  }
  i32GeS(): this {
    return this.op(0x4e);
  }
  /**
   * Calls the module's function `name` (its arguments on the stack): its index, known only when
   * the module is put together, is a 5-byte LEB128 that encodeModule fills in.
   */
  call(name: string): this {
    this.op(0x10);
    this.calls.push({ at: this.bytes.length, name });
    return this.op(0x80, 0x80, 0x80, 0x80, 0x00);
  }
  /** i32.atomic.rmw.add: stack address, value → the i32 that was there (sequentially consistent). */
  i32AtomicAdd(offset = 0): this {
    return this.op(0xfe, 0x1e, 2, ...uleb(offset));
  }
  i32GeU(): this {
    return this.op(0x4f);
  }
  i32LtS(): this {
    return this.op(0x48);
  }
  i32Eq(): this {
    return this.op(0x46);
  }
  i32Eqz(): this {
    return this.op(0x45);
  }
  f32Const(x: number): this {
    const b = new Uint8Array(new Float32Array([x]).buffer);
    return this.op(0x43, ...b);
  }
  i32Load(offset = 0): this {
    return this.op(0x28, 2, ...uleb(offset));
  }
  i32Store(offset = 0): this {
    return this.op(0x36, 2, ...uleb(offset));
  }
  f32Load(offset = 0): this {
    return this.op(0x2a, 2, ...uleb(offset));
  }
  f32Store(offset = 0): this {
    return this.op(0x38, 2, ...uleb(offset));
  }
  f32Add(): this {
    return this.op(0x92);
  }
  f32Mul(): this {
    return this.op(0x94);
  }
  v128Load(offset = 0): this {
    return this.simd(0x00, 4, ...uleb(offset));
  }
  v128Store(offset = 0): this {
    return this.simd(0x0b, 4, ...uleb(offset));
  }
  v128Load32Splat(offset = 0): this {
    return this.simd(0x09, 2, ...uleb(offset));
  }
  /** 4 bytes into lane 0, the other lanes zero. */
  v128Load32Zero(offset = 0): this {
    return this.simd(0x5c, 2, ...uleb(offset));
  }
  /** 8 bytes into lanes 0–1, the other lanes zero. */
  v128Load64Zero(offset = 0): this {
    return this.simd(0x5d, 3, ...uleb(offset));
  }
  /** Stack: address, vector → the vector with 4 bytes loaded into `lane`. */
  v128Load32Lane(offset: number, lane: number): this {
    return this.simd(0x56, 2, ...uleb(offset), lane);
  }
  /** Stack: address, vector; stores 4 bytes of `lane`. */
  v128Store32Lane(offset: number, lane: number): this {
    return this.simd(0x5a, 2, ...uleb(offset), lane);
  }
  /** Stack: address, vector; stores 8 bytes of 64-bit `lane` (f32 lanes 2·lane, 2·lane + 1). */
  v128Store64Lane(offset: number, lane: number): this {
    return this.simd(0x5b, 3, ...uleb(offset), lane);
  }
  f32x4Splat(): this {
    return this.simd(0x13);
  }
  f32x4Add(): this {
    return this.simd(0xe4);
  }
  f32x4Mul(): this {
    return this.simd(0xe6);
  }
  /** a·b + c in one fused instruction (relaxed SIMD): stack a, b, c. */
  f32x4RelaxedMadd(): this {
    return this.simd(0x105);
  }
  /** A SIMD instruction by its opcode (after the 0xfd prefix), for the less common ones. */
  simdOp(code: number): this {
    return this.simd(code);
  }
  f32x4ExtractLane(lane: number): this {
    return this.simd(0x1f, lane);
  }
  i32x4ExtractLane(lane: number): this {
    return this.simd(0x1b, lane);
  }
  v128Zero(): this {
    return this.simd(0x0c, ...new Array<number>(16).fill(0));
  }
  /** A constant vector of four i32 lanes. */
  i32x4Const(lanes: readonly [number, number, number, number]): this {
    return this.simd(0x0c, ...new Uint8Array(Int32Array.from(lanes).buffer));
  }

  /** `if (condition) body()`, the condition an i32 left on the stack by `condition`. */
  ifThen(condition: () => void, body: () => void): this {
    condition();
    this.op(0x04, 0x40);
    body();
    return this.op(0x0b);
  }
  /** `if (condition) then() else otherwise()`. */
  ifElse(condition: () => void, then: () => void, otherwise: () => void): this {
    condition();
    this.op(0x04, 0x40);
    then();
    this.op(0x05);
    otherwise();
    return this.op(0x0b);
  }
  i32GtS(): this {
    return this.op(0x4a);
  }
  /** select: stack a, b, condition → a if condition ≠ 0, else b. */
  select(): this {
    return this.op(0x1b);
  }

  /** `for (i = start; i < end; i += step) body()` with start, end and step as emitters. */
  forLoop(i: Local, start: () => void, end: () => void, step: number, body: () => void): this {
    start();
    this.set(i);
    this.op(0x02, 0x40); // block
    this.op(0x03, 0x40); // loop
    this.get(i);
    end();
    this.i32GeS();
    this.op(0x0d, 1); // br_if out of the block
    body();
    this.get(i).i32(step).i32Add().set(i);
    this.op(0x0c, 0); // br to the loop start
    this.op(0x0b, 0x0b); // end loop, end block
    return this;
  }

  /** `while (condition()) body()`, condition leaving an i32. */
  whileLoop(condition: () => void, body: () => void): this {
    this.op(0x02, 0x40, 0x03, 0x40); // block, loop
    condition();
    this.i32Eqz();
    this.op(0x0d, 1); // br_if out of the block
    body();
    this.op(0x0c, 0, 0x0b, 0x0b); // br to the loop start; end loop, end block
    return this;
  }

  /** The function's code entry (locals, then body), its calls resolved by `index`. */
  encode(index: (name: string) => number): number[] {
    const groups = this.locals.map((t) => [1, t]);
    const code = [...this.bytes];
    for (const { at, name } of this.calls) {
      const i = index(name);
      for (let k = 0; k < 5; k++) code[at + k] = ((i >>> (7 * k)) & 0x7f) | (k < 4 ? 0x80 : 0);
    }
    const body = [...vector(groups), ...code, 0x0b];
    return [...uleb(body.length), ...body];
  }
}

/** A module of the given functions, using an imported memory `env.memory`. */
export function encodeModule(functions: readonly FunctionBuilder[], memory: { minimumPages: number; shared?: boolean; maximumPages?: number }): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [0x60, ...vector(f.params.map((t) => [t])), ...vector(f.results.map((t) => [t]))]);
  const limits = memory.shared
    ? [0x03, ...uleb(memory.minimumPages), ...uleb(memory.maximumPages ?? 65536)]
    : memory.maximumPages === undefined
      ? [0x00, ...uleb(memory.minimumPages)]
      : [0x01, ...uleb(memory.minimumPages), ...uleb(memory.maximumPages)];
  const name = (s: string) => [...uleb(utf8(s).length), ...utf8(s)];
  const index = (callee: string) => {
    const i = functions.findIndex((f) => f.name === callee);
    if (i < 0) throw new Error(`encodeModule: a function calls ${callee}, which is not in the module`);
    return i;
  };
  const imports = vector([[...name('env'), ...name('memory'), 0x02, ...limits]]);
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector(types)),
    ...section(2, imports),
    ...section(3, vector(functions.map((_, i) => uleb(i)))),
    ...section(7, vector(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vector(functions.map((f) => f.encode(index)))),
  ];
  return new Uint8Array(bytes);
}
