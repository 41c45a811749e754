/**
 * First-fit allocation of offsets in a block that grows at its end; freed neighbours merge, and a
 * freed block at the end lowers the end. The plan allocator and the device memory both use it.
 */
export class FreeList {
  /** The end of the highest block in use. */
  end = 0;
  /** The highest the end has been: the size the block needs. */
  peak = 0;
  private blocks: { offset: number; size: number }[] = [];

  alloc(size: number): number {
    const i = this.blocks.findIndex((b) => b.size >= size);
    if (i >= 0) {
      const block = this.blocks[i];
      if (block.size === size) this.blocks.splice(i, 1);
      else this.blocks[i] = { offset: block.offset + size, size: block.size - size };
      return block.offset;
    }
    const offset = this.end;
    this.end += size;
    this.peak = Math.max(this.peak, this.end);
    return offset;
  }

  free(offset: number, size: number): void {
    this.blocks.push({ offset, size });
    this.blocks.sort((a, b) => a.offset - b.offset);
    const merged: { offset: number; size: number }[] = [];
    for (const b of this.blocks) {
      const prev = merged[merged.length - 1];
      if (prev && prev.offset + prev.size === b.offset) prev.size += b.size;
      else merged.push({ ...b });
    }
    const top = merged[merged.length - 1];
    if (top && top.offset + top.size === this.end) {
      this.end = top.offset;
      merged.pop();
    }
    this.blocks = merged;
  }
}
