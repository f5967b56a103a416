/**
 * Test and fuzzing helpers: zip archives with deflated members (torch writes stored ones; a hostile file
 * need not), and torch.save state dicts whose keys all view one storage.
 */
import { deflateRawSync } from 'node:zlib';
import { PickleWriter } from '../../src/io/pickle.js';
import { crc32 } from '../../src/io/zip.js';

/** A zip archive whose members are deflated (torch writes stored ones; a hostile file need not). */
export function deflatedZip(members: { name: string; data: Uint8Array }[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let off = 0;
  for (const m of members) {
    const name = Buffer.from(m.name);
    const comp = deflateRawSync(m.data, { level: 9 });
    const crc = crc32(m.data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(8, 8);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(comp.length, 18);
    lh.writeUInt32LE(m.data.byteLength, 22);
    lh.writeUInt16LE(name.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(8, 10);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(comp.length, 20);
    cd.writeUInt32LE(m.data.byteLength, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(off, 42);
    locals.push(lh, name, comp);
    central.push(cd, name);
    off += 30 + name.length + comp.length;
  }
  const cdSize = central.reduce((s, b) => s + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cdSize, 12);
  end.writeUInt32LE(off, 16);
  return Buffer.concat([...locals, ...central, end]);
}

/**
 * A state dict of `keys` float tensors over one storage '0' of `numel` elements: key i views
 * elements [offset(i), offset(i) + size) (`numel` zeros, deflated).
 */
export function hostileCheckpoint(keys: number, numel: number, size: number, offset: (i: number) => number, memberBytes = numel * 4): Buffer {
  const w = new PickleWriter().proto();
  w.global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  for (let i = 0; i < keys; i++) {
    w.str(`model.inner.w${i}`).global('torch._utils', '_rebuild_tensor_v2').mark();
    w.mark().str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(numel).tupleFromMark().binpersid();
    w.int(offset(i)).tuple([size]).tuple([1]).bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().tupleFromMark().reduce();
  }
  w.setitems();
  return deflatedZip([
    { name: 'checkpoint/data.pkl', data: w.stop() },
    { name: 'checkpoint/data/0', data: new Uint8Array(memberBytes) },
    { name: 'checkpoint/version', data: new TextEncoder().encode('3\n') },
  ]);
}
