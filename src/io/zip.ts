/**
 * ZIP archives as PyTorch's `torch.save` writes them (PKWARE APPNOTE: local headers, central directory,
 * end of central directory, ZIP64 where sizes need it). Reading trusts nothing: every offset and length
 * is checked against the real file size before it is used, names may not leave the archive's folder,
 * each member's CRC-32 is verified when it is read, and only stored (torch's choice) or deflated members
 * are accepted. Writing produces stored members whose data start 64-byte aligned, as torch's writer does
 * (the padding lives in an extra field), so torch can memory-map them.
 */
import { crc32 as nodeCrc32, inflateRawSync } from 'node:zlib';
import { UserError } from '../util/errors.js';

export interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  /** offset of the member's data in the file */
  dataOffset: number;
}

export interface ZipArchive {
  entries: Map<string, ZipEntry>;
  /** the member's bytes (a view into the file for stored members), after checking its CRC-32 */
  read(name: string): Uint8Array;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;

let table: Uint32Array | null = null;
/** CRC-32 (IEEE), zlib's when this Node has it. */
export function crc32(data: Uint8Array): number {
  if (typeof nodeCrc32 === 'function') return nodeCrc32(data) >>> 0;
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A name that stays inside the archive: relative, no `..`, no backslashes or NULs, no drive letter. */
export function safeMemberName(name: string): boolean {
  if (name.length === 0 || name.startsWith('/') || /[\\\0]/.test(name) || /^[A-Za-z]:/.test(name)) return false;
  return !name.split('/').some((part) => part === '..' || part === '.');
}

export function readZip(buf: Uint8Array, file: string): ZipArchive {
  const bad = (msg: string): UserError => new UserError(`${file}: not a valid zip archive: ${msg}`);
  const n = buf.byteLength;
  const dv = new DataView(buf.buffer, buf.byteOffset, n);
  if (n < 22) throw bad(`only ${n} bytes`);
  // The end record sits in the last 22 + 65535 (comment) bytes.
  let eocd = -1;
  for (let p = n - 22; p >= Math.max(0, n - 22 - 65535); p--) {
    if (dv.getUint32(p, true) === SIG_EOCD && p + 22 + dv.getUint16(p + 20, true) === n) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) throw bad('no end-of-central-directory record (truncated?)');
  let count = dv.getUint16(eocd + 10, true);
  let cdSize = dv.getUint32(eocd + 12, true);
  let cdOffset = dv.getUint32(eocd + 16, true);
  let cdEnd = eocd;
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || dv.getUint32(loc, true) !== SIG_ZIP64_LOCATOR) throw bad('ZIP64 sizes without a ZIP64 locator');
    const z = big(dv, loc + 8, bad);
    if (z + 56 > loc || dv.getUint32(z, true) !== SIG_ZIP64_EOCD) throw bad('ZIP64 end record missing or out of range');
    count = big(dv, z + 32, bad);
    cdSize = big(dv, z + 40, bad);
    cdOffset = big(dv, z + 48, bad);
    cdEnd = z;
  }
  if (cdOffset + cdSize > cdEnd) throw bad(`central directory [${cdOffset}, +${cdSize}) runs past its end record`);
  if (count * 46 > cdSize) throw bad(`${count} entries cannot fit in a ${cdSize}-byte central directory`);
  const entries = new Map<string, ZipEntry>();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdOffset + cdSize || dv.getUint32(p, true) !== SIG_CENTRAL) throw bad(`central directory entry ${i} is damaged`);
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    const crc = dv.getUint32(p + 16, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let size = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let localOffset = dv.getUint32(p + 42, true);
    const next = p + 46 + nameLen + extraLen + commentLen;
    if (next > cdOffset + cdSize) throw bad(`central directory entry ${i} runs past the directory`);
    let name: string;
    try {
      name = decoder.decode(buf.subarray(p + 46, p + 46 + nameLen));
    } catch {
      throw bad(`entry ${i} has a name that is not UTF-8`);
    }
    if (!safeMemberName(name)) throw bad(`entry name '${printable(name)}' escapes the archive's folder`);
    if (flags & 1) throw bad(`entry '${name}' is encrypted`);
    // ZIP64 extended information replaces the fields that read 0xffffffff, in this order.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = dv.getUint16(e, true);
      const len = dv.getUint16(e + 2, true);
      if (e + 4 + len > extraEnd) throw bad(`entry '${name}' has a damaged extra field`);
      if (id === 1) {
        let q = e + 4;
        const take = (): number => {
          if (q + 8 > e + 4 + len) throw bad(`entry '${name}' has a short ZIP64 field`);
          const v = big(dv, q, bad);
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localOffset === 0xffffffff) localOffset = take();
      }
      e += 4 + len;
    }
    if (localOffset + 30 > cdOffset || dv.getUint32(localOffset, true) !== SIG_LOCAL) throw bad(`entry '${name}': no local header at ${localOffset}`);
    const dataOffset = localOffset + 30 + dv.getUint16(localOffset + 26, true) + dv.getUint16(localOffset + 28, true);
    if (dataOffset + compressedSize > cdOffset) throw bad(`entry '${name}' (${compressedSize} bytes at ${dataOffset}) runs past the data`);
    if (method !== 0 && method !== 8) throw bad(`entry '${name}' uses compression method ${method} (only stored and deflate are read)`);
    if (method === 0 && compressedSize !== size) throw bad(`stored entry '${name}' has size ${size} but ${compressedSize} stored bytes`);
    // a deflated member cannot expand by more than ~1032x; a larger claim is a lie that would make us allocate
    if (method === 8 && size > compressedSize * 1032 + 64) throw bad(`entry '${name}' claims ${size} bytes from ${compressedSize} compressed`);
    if (entries.has(name)) throw bad(`entry '${name}' appears twice`);
    entries.set(name, { name, method, crc, compressedSize, size, dataOffset });
    p = next;
  }
  return {
    entries,
    read(name: string): Uint8Array {
      const en = entries.get(name);
      if (!en) throw new UserError(`${file}: the archive has no member '${name}'`);
      const raw = buf.subarray(en.dataOffset, en.dataOffset + en.compressedSize);
      let data: Uint8Array;
      if (en.method === 0) data = raw;
      else {
        try {
          data = inflateRawSync(raw, { maxOutputLength: Math.max(1, en.size) });
        } catch (err) {
          throw bad(`entry '${name}' does not inflate (${(err as Error).message})`);
        }
        if (data.byteLength !== en.size) throw bad(`entry '${name}' inflates to ${data.byteLength} bytes, expected ${en.size}`);
      }
      if (crc32(data) !== en.crc) throw bad(`entry '${name}' fails its CRC-32 check (the file is damaged)`);
      return data;
    },
  };
}

function big(dv: DataView, at: number, bad: (m: string) => UserError): number {
  if (at + 8 > dv.byteLength) throw bad('a ZIP64 field lies past the end of the file');
  const v = dv.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(`a ZIP64 field holds ${v}`);
  return Number(v);
}

function printable(s: string): string {
  return s.replace(/[\0-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`).slice(0, 200);
}

/**
 * A zip archive of stored members, each member's data 64-byte aligned (as torch's writer does, with the
 * padding in an extra field 'FB'), ZIP64 records when the archive passes 4 GiB. Returns the parts to write.
 */
export function writeZip(members: { name: string; data: Uint8Array }[]): Uint8Array[] {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let off = 0;
  const enc = new TextEncoder();
  for (const m of members) {
    if (!safeMemberName(m.name)) throw new Error(`writeZip: bad member name '${m.name}'`);
    const name = enc.encode(m.name);
    const crc = crc32(m.data);
    const big64 = m.data.byteLength >= 0xffffffff || off >= 0xffffffff;
    const z64Len = big64 ? 4 + 16 : 0;
    // pad so the data start is a multiple of 64: 30 + name + extra (>= 4 when padding)
    let pad = (64 - ((off + 30 + name.length + z64Len + 4) % 64)) % 64;
    const local = new Uint8Array(30 + name.length + z64Len + 4 + pad);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, SIG_LOCAL, true);
    lv.setUint16(4, big64 ? 45 : 20, true);
    lv.setUint16(6, 0x800, true); // UTF-8 names
    lv.setUint16(8, 0, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, big64 ? 0xffffffff : m.data.byteLength, true);
    lv.setUint32(22, big64 ? 0xffffffff : m.data.byteLength, true);
    lv.setUint16(26, name.length, true);
    lv.setUint16(28, z64Len + 4 + pad, true);
    local.set(name, 30);
    let x = 30 + name.length;
    if (big64) {
      lv.setUint16(x, 1, true);
      lv.setUint16(x + 2, 16, true);
      lv.setBigUint64(x + 4, BigInt(m.data.byteLength), true);
      lv.setBigUint64(x + 12, BigInt(m.data.byteLength), true);
      x += 20;
    }
    lv.setUint16(x, 0x4246, true); // 'FB'
    lv.setUint16(x + 2, pad, true);
    local.fill(0x5a, x + 4); // 'Z', as torch pads
    pad = 0;
    const cz64 = big64 ? 4 + 24 : 0;
    const cd = new Uint8Array(46 + name.length + cz64);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, SIG_CENTRAL, true);
    cv.setUint16(4, big64 ? 45 : 20, true);
    cv.setUint16(6, big64 ? 45 : 20, true);
    cv.setUint16(8, 0x800, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, big64 ? 0xffffffff : m.data.byteLength, true);
    cv.setUint32(24, big64 ? 0xffffffff : m.data.byteLength, true);
    cv.setUint16(28, name.length, true);
    cv.setUint16(30, cz64, true);
    cv.setUint32(42, big64 ? 0xffffffff : off, true);
    cd.set(name, 46);
    if (big64) {
      const y = 46 + name.length;
      cv.setUint16(y, 1, true);
      cv.setUint16(y + 2, 24, true);
      cv.setBigUint64(y + 4, BigInt(m.data.byteLength), true);
      cv.setBigUint64(y + 12, BigInt(m.data.byteLength), true);
      cv.setBigUint64(y + 20, BigInt(off), true);
    }
    parts.push(local, m.data);
    central.push(cd);
    off += local.byteLength + m.data.byteLength;
  }
  const cdOffset = off;
  const cdSize = central.reduce((s, c) => s + c.byteLength, 0);
  parts.push(...central);
  off += cdSize;
  const z64 = cdOffset + cdSize >= 0xffffffff || members.length >= 0xffff;
  if (z64) {
    const rec = new Uint8Array(56 + 20);
    const rv = new DataView(rec.buffer);
    rv.setUint32(0, SIG_ZIP64_EOCD, true);
    rv.setBigUint64(4, 44n, true);
    rv.setUint16(12, 45, true);
    rv.setUint16(14, 45, true);
    rv.setBigUint64(24, BigInt(members.length), true);
    rv.setBigUint64(32, BigInt(members.length), true);
    rv.setBigUint64(40, BigInt(cdSize), true);
    rv.setBigUint64(48, BigInt(cdOffset), true);
    rv.setUint32(56, SIG_ZIP64_LOCATOR, true);
    rv.setBigUint64(64, BigInt(off), true);
    rv.setUint32(72, 1, true);
    parts.push(rec);
  }
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, SIG_EOCD, true);
  ev.setUint16(8, z64 ? 0xffff : members.length, true);
  ev.setUint16(10, z64 ? 0xffff : members.length, true);
  ev.setUint32(12, z64 ? 0xffffffff : cdSize, true);
  ev.setUint32(16, z64 ? 0xffffffff : cdOffset, true);
  parts.push(end);
  return parts;
}
