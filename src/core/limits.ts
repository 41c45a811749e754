/** How much a device holds, and byte counts for the messages that say so. */

/** The most values a device memory holds: a WebAssembly memory's 4 GiB of float32 (in float64, 8 GiB in JS). */
export const MAX_ELEMENTS = 2 ** 30;

/** "3.1 TB": a byte count for messages. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  while (bytes >= 1000 && i < units.length - 1) (bytes /= 1000), i++;
  // Two significant digits, but never in exponent form (toPrecision(2) writes 262 as 2.6e+2).
  return `${i === 0 ? bytes : bytes >= 100 ? Math.round(bytes) : bytes.toPrecision(2)} ${units[i]}`;
}
