/**
 * The few Buffer calls the project's readers make (Buffer.alloc for a header, Buffer.from for text and
 * bytes, toString('latin1'), the .npy header's readUInt16LE/readUInt32LE), over a Uint8Array subclass; installed as globalThis.Buffer by globals.ts.
 */
export class Bytes extends Uint8Array {
  readUInt16LE(at = 0): number {
    return new DataView(this.buffer, this.byteOffset, this.byteLength).getUint16(at, true);
  }

  readUInt32LE(at = 0): number {
    return new DataView(this.buffer, this.byteOffset, this.byteLength).getUint32(at, true);
  }

  override toString(encoding = 'utf8'): string {
    if (encoding === 'latin1' || encoding === 'binary' || encoding === 'ascii') {
      let s = '';
      for (let i = 0; i < this.length; i += 8192) s += String.fromCharCode(...this.subarray(i, i + 8192));
      return s;
    }
    return new TextDecoder('utf-8').decode(this);
  }
}

function bytes(src: ArrayLike<number>): Bytes {
  const b = new Bytes(src.length);
  b.set(src);
  return b;
}

export const Buffer = {
  alloc: (n: number): Bytes => new Bytes(n),
  from(src: string | ArrayLike<number> | ArrayBuffer, encoding = 'utf8'): Bytes {
    if (typeof src === 'string') {
      if (encoding === 'latin1' || encoding === 'binary' || encoding === 'ascii') return bytes(Array.from(src, (c) => c.charCodeAt(0) & 0xff));
      return bytes(new TextEncoder().encode(src));
    }
    return bytes(src instanceof ArrayBuffer ? new Uint8Array(src) : src);
  },
  byteLength: (s: string): number => new TextEncoder().encode(s).length,
  isBuffer: (x: unknown): boolean => x instanceof Bytes,
};
