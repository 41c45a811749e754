/**
 * OnnxError: what `exportOnnx` and `importOnnx` throw. It carries the facts as fields: for a bad
 * file the byte offset and the message path being read (`ModelProto.graph.node[3].attribute`),
 * for an unsupported node its op type, node name and attribute, for an op that cannot be
 * exported the deltagraph op and the user's line.
 */
import { DeltaGraphError } from '../core/errors.ts';

/** The facts an {@link OnnxError} carries; each is set only where it applies. */
export interface OnnxErrorFacts {
  /** Byte offset in the file where reading failed. */
  readonly offset?: number;
  /** The ONNX op type (import) or the deltagraph op (export). */
  readonly op?: string;
  /** The ONNX node's name, or the deltagraph node's description. */
  readonly node?: string;
  /** The name of the ONNX attribute that could not be translated (import). */
  readonly attribute?: string;
  /** The user's line that built the deltagraph node (export). */
  readonly site?: string;
}

export class OnnxError extends DeltaGraphError implements OnnxErrorFacts {
  override name = 'OnnxError';
  readonly offset?: number;
  readonly op?: string;
  readonly node?: string;
  readonly attribute?: string;
  readonly site?: string;
  constructor(message: string, facts: OnnxErrorFacts = {}) {
    super(facts.site ? `${message}\n    at ${facts.site}` : message);
    Object.assign(this, facts);
  }
}
