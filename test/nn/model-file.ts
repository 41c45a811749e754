/**
 * Takes model files apart and puts them back together, for tests that craft bad files: what an
 * editor that knows the format could write (checksums made fresh), so that each check of the
 * loader behind the checksums can be reached on its own.
 */
import { crc32 } from '../../src/core/checksum.ts';

export interface ModelFileParts {
  /** The safetensors header, tensor entries by name (and __metadata__, rewritten by `assemble`). */
  header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  /** The model description (the JSON inside __metadata__.deltagraph). */
  saved: Record<string, unknown> & { checksums?: Record<string, number> };
  data: Uint8Array;
}

export function disassemble(bytes: Uint8Array): ModelFileParts {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const saved = JSON.parse(header.__metadata__.deltagraph);
  delete header.__metadata__;
  return { header, saved, data: bytes.slice(8 + n) };
}

/** Bytes again; with `fresh`, every checksum is made anew for the (edited) parts. */
export function assemble(parts: ModelFileParts, options: { fresh?: boolean; headerText?: (json: string) => string } = {}): Uint8Array {
  const { header, saved, data } = parts;
  if (options.fresh ?? true) {
    if (saved.version !== 1) {
      saved.checksums = Object.fromEntries(
        Object.entries(header).map(([name, e]) => [name, crc32(data.subarray(e.data_offsets[0], Math.min(e.data_offsets[1], data.length)))]),
      );
    }
  }
  const description = JSON.stringify(saved);
  const metadata: Record<string, string> = { deltagraph: description };
  if (saved.version !== 1) metadata.deltagraph_crc32 = crc32(new TextEncoder().encode(description)).toString(16);
  let json = JSON.stringify({ __metadata__: metadata, ...header });
  if (options.headerText) json = options.headerText(json);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const text = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

/** Edits a file's parts and seals it again. */
export function craft(bytes: Uint8Array, edit: (parts: ModelFileParts) => void, options?: Parameters<typeof assemble>[1]): Uint8Array {
  const parts = disassemble(bytes);
  edit(parts);
  return assemble(parts, options);
}

/** The same file with fresh checksums (after a byte edit of the description). */
export function reseal(bytes: Uint8Array): Uint8Array {
  return craft(bytes, () => {});
}

/** Lays the tensors out again in `order` (names; the rest after, as they were), back to back. */
export function relayout(parts: ModelFileParts, order: readonly string[]): void {
  const names = [...order, ...Object.keys(parts.header).filter((n) => !order.includes(n))];
  const chunks = names.map((n) => parts.data.slice(...parts.header[n].data_offsets));
  const data = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let at = 0;
  names.forEach((n, i) => {
    data.set(chunks[i], at);
    parts.header[n].data_offsets = [at, at + chunks[i].length];
    at += chunks[i].length;
  });
  parts.data = data;
}
