/**
 * Nodes without inputs. Their values live in storage the runtime provides (the feed buffer of an
 * input, the parameter in the device memory, the constant's own buffer): no kernel runs for them.
 */
import type { DType } from '../core/ir.ts';
import type { Shape } from '../core/shape.ts';
import { registerOp, type OpDef } from './registry.ts';

type SourceAttrs = { shape: Shape };

const source = (name: string, doc: string): OpDef<SourceAttrs> =>
  registerOp<SourceAttrs>({
    name,
    arity: 0,
    doc,
    traits: ['source'],
    shape: (_, { shape }) => shape,
    // The builder sets a source's dtype itself; this rule is never asked.
    dtype: (): DType => 'float',
  });

export const input = source('input', 'a value fed at run time');
export const parameter = source('parameter', 'a trainable value kept in the device memory');
export const constant = source('constant', 'a fixed value');
