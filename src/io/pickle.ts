/**
 * A restricted pickle reader that can execute nothing: it understands the opcodes of protocols 0-5 that
 * a PyTorch state dict uses and builds plain values from them. A GLOBAL names something to import; here
 * it is looked up in an allow-list given by the caller (the few callables and classes a state dict
 * needs) and anything else is refused with its name, before anything is built. REDUCE calls only an
 * allow-listed callable's own TypeScript implementation, and persistent ids (torch's storages) go to the
 * caller. Every length is checked against the bytes that remain, so a damaged or hostile pickle can only
 * end in a UserError.
 *
 * Values: None -> null, bool, int -> number (bigint beyond 2^53), float -> number, str -> string,
 * bytes -> Uint8Array, tuple -> PyTuple, list -> array, dict -> PyDict (insertion order kept).
 */
import { UserError } from '../util/errors.js';

export class PyTuple {
  constructor(readonly items: unknown[]) {}
}

export class PyDict {
  readonly map = new Map<unknown, unknown>();
}

/** A reference to an allow-listed global (what GLOBAL pushes). */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

export interface PickleOptions {
  /** `module.name` -> implementation for REDUCE (null: a class that may be referenced but not called) */
  globals: Map<string, ((args: unknown[], fail: (msg: string) => never) => unknown) | null>;
  /** BINPERSID / PERSID: turns the persistent id into a value */
  persistentLoad?: (pid: unknown, fail: (msg: string) => never) => unknown;
  /** BUILD (setting an object's state): allowed only where this returns true (the object is kept as is) */
  allowBuild?: (obj: unknown, state: unknown) => boolean;
}

const MARK = Symbol('mark');

/** Parses `buf` (a whole pickle). `where` names the source in messages. */
export function unpickle(buf: Uint8Array, where: string, opts: PickleOptions): unknown {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = buf.byteLength;
  let pos = 0;
  let opAt = 0;
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  const fail = (msg: string): never => {
    throw new UserError(`${where}: refused pickle at byte ${opAt}: ${msg}`);
  };
  const need = (k: number): number => {
    if (!(k >= 0) || k > n - pos) fail(`a length of ${k} bytes runs past the end of the data (${n - pos} left)`);
    const at = pos;
    pos += k;
    return at;
  };
  const u8 = (): number => buf[need(1)];
  const u16 = (): number => dv.getUint16(need(2), true);
  const u32 = (): number => dv.getUint32(need(4), true);
  const i32 = (): number => dv.getInt32(need(4), true);
  const u64 = (): number => {
    const v = dv.getBigUint64(need(8), true);
    if (v > BigInt(n)) fail(`a length of ${v} bytes runs past the end of the data`);
    return Number(v);
  };
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const text = (k: number): string => {
    const at = need(k);
    try {
      return utf8.decode(buf.subarray(at, at + k));
    } catch {
      return fail('a string is not valid UTF-8');
    }
  };
  const latin1 = (k: number): string => {
    const at = need(k);
    let s = '';
    for (let i = 0; i < k; i++) s += String.fromCharCode(buf[at + i]);
    return s;
  };
  const line = (): string => {
    const nl = buf.indexOf(10, pos);
    if (nl < 0) fail('a text argument has no end of line');
    return latin1(nl - pos + 1).slice(0, -1);
  };
  const pop = (): unknown => {
    if (stack.length === 0) fail('the stack is empty');
    const v = stack.pop();
    if (v === MARK) fail('a value was expected, found a MARK');
    return v;
  };
  const top = (): unknown => {
    if (stack.length === 0 || stack[stack.length - 1] === MARK) fail('the stack is empty');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const k = stack.lastIndexOf(MARK);
    if (k < 0) fail('no MARK on the stack');
    const items = stack.splice(k);
    items.shift();
    return items;
  };
  const signedLE = (at: number, k: number): number | bigint => {
    if (k === 0) return 0;
    let v = 0n;
    for (let i = k - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[at + i]);
    if (buf[at + k - 1] & 0x80) v -= 1n << BigInt(8 * k);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const global = (module: string, name: string): PyGlobal => {
    const q = `${module}.${name}`;
    if (!opts.globals.has(q)) fail(`global '${q}' is not allowed (a state dict needs only: ${[...opts.globals.keys()].join(', ')})`);
    return new PyGlobal(module, name);
  };
  const setItems = (d: unknown, kv: unknown[]): void => {
    if (!(d instanceof PyDict)) fail('SETITEM(S) on something that is not a dict');
    if (kv.length % 2) fail('SETITEMS with an odd number of values');
    for (let i = 0; i < kv.length; i += 2) {
      const k = kv[i];
      if (k !== null && typeof k !== 'string' && typeof k !== 'number' && typeof k !== 'boolean' && typeof k !== 'bigint') fail('a dict key that is not a string or number');
      (d as PyDict).map.set(k, kv[i + 1]);
    }
  };
  const persistent = (pid: unknown): unknown => {
    if (!opts.persistentLoad) fail('a persistent id, which this file may not have');
    return opts.persistentLoad!(pid, fail);
  };

  for (;;) {
    opAt = pos;
    if (pos >= n) fail('the data ends before STOP (truncated?)');
    const op = buf[pos++];
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail('unknown protocol');
        break;
      case 0x95: // FRAME
        u64(); // frames only group opcodes; the length was checked
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) fail(`STOP with ${stack.length} values on the stack`);
        return pop();
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x8a: {
        // LONG1
        const k = u8();
        stack.push(signedLE(need(k), k));
        break;
      }
      case 0x8b: {
        // LONG4
        const k = i32();
        if (k > 64) fail(`an integer of ${k} bytes`);
        stack.push(signedLE(need(k), k));
        break;
      }
      case 0x49: {
        // INT (text): also I01/I00 for booleans
        const s = line();
        if (s === '01' || s === '00') stack.push(s === '01');
        else if (/^-?\d{1,16}$/.test(s)) stack.push(Number(s));
        else fail(`bad INT '${s.slice(0, 40)}'`);
        break;
      }
      case 0x4c: {
        // LONG (text)
        const s = line().replace(/L$/, '');
        if (!/^-?\d{1,40}$/.test(s)) fail(`bad LONG '${s.slice(0, 40)}'`);
        const v = BigInt(s);
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        stack.push(dv.getFloat64(need(8), false));
        break;
      case 0x46: {
        // FLOAT (text)
        const s = line();
        const v = Number(s);
        if (s.trim() === '' || Number.isNaN(v)) fail(`bad FLOAT '${s.slice(0, 40)}'`);
        stack.push(v);
        break;
      }
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(u64()));
        break;
      case 0x54: // BINSTRING
        stack.push(latin1(i32()));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1(u8()));
        break;
      case 0x42: {
        // BINBYTES
        const k = u32();
        const at = need(k);
        stack.push(buf.slice(at, at + k));
        break;
      }
      case 0x43: {
        // SHORT_BINBYTES
        const k = u8();
        const at = need(k);
        stack.push(buf.slice(at, at + k));
        break;
      }
      case 0x8e: {
        // BINBYTES8
        const k = u64();
        const at = need(k);
        stack.push(buf.slice(at, at + k));
        break;
      }
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple([]));
        break;
      case 0x85: // TUPLE1
        stack.push(new PyTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        const a = pop();
        stack.push(new PyTuple([a, b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(new PyTuple([a, b, c]));
        break;
      }
      case 0x74: // TUPLE
        stack.push(new PyTuple(popMark()));
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        const l = top();
        if (!Array.isArray(l)) fail('APPEND to something that is not a list');
        (l as unknown[]).push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const l = top();
        if (!Array.isArray(l)) fail('APPENDS to something that is not a list');
        for (const v of items) (l as unknown[]).push(v);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x64: {
        // DICT
        const d = new PyDict();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x70: {
        // PUT (text)
        const s = line();
        if (!/^\d{1,9}$/.test(s)) fail(`bad PUT '${s.slice(0, 40)}'`);
        memo.set(Number(s), top());
        break;
      }
      case 0x68: // BINGET
      case 0x6a: // LONG_BINGET
      case 0x67: {
        // GET (text)
        let k: number;
        if (op === 0x68) k = u8();
        else if (op === 0x6a) k = u32();
        else {
          const s = line();
          if (!/^\d{1,9}$/.test(s)) fail(`bad GET '${s.slice(0, 40)}'`);
          k = Number(s);
        }
        if (!memo.has(k)) fail(`memo entry ${k} was never stored`);
        stack.push(memo.get(k));
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        const name = line();
        stack.push(global(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL without two strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        if (!(fn instanceof PyGlobal)) fail('REDUCE on something that is not an allowed global');
        const g = fn as PyGlobal;
        const impl = opts.globals.get(g.qualified);
        if (!impl) fail(`'${g.qualified}' may not be called`);
        if (!(args instanceof PyTuple)) fail(`'${g.qualified}' called without an argument tuple`);
        stack.push(impl!((args as PyTuple).items, fail));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const obj = top();
        if (!opts.allowBuild?.(obj, state)) fail('BUILD (setting object state) on something that may not have state');
        break;
      }
      case 0x51: // BINPERSID
        stack.push(persistent(pop()));
        break;
      case 0x50: // PERSID (text)
        stack.push(persistent(line()));
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      default: {
        const names: Record<number, string> = {
          0x81: 'NEWOBJ', 0x92: 'NEWOBJ_EX', 0x69: 'INST', 0x6f: 'OBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4',
          0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER', 0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET',
        };
        fail(names[op] ? `opcode ${names[op]} (it builds objects a state dict does not have)` : `unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
      }
    }
    if (stack.length > n) fail('the stack grew beyond the data size');
  }
}

/** Pickle writer for the few values a state dict needs (protocol 2). */
export class PickleWriter {
  private chunks: number[] = [];
  private readonly enc = new TextEncoder();
  private byte(b: number): this {
    this.chunks.push(b & 0xff);
    return this;
  }
  private bytes(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.chunks.push(b[i]);
    return this;
  }
  private u32(v: number): this {
    return this.byte(v).byte(v >>> 8).byte(v >>> 16).byte(v >>> 24);
  }
  proto(): this {
    return this.byte(0x80).byte(2);
  }
  mark(): this {
    return this.byte(0x28);
  }
  global(module: string, name: string): this {
    return this.byte(0x63).bytes(this.enc.encode(`${module}\n${name}\n`));
  }
  str(s: string): this {
    const b = this.enc.encode(s);
    return this.byte(0x58).u32(b.length).bytes(b);
  }
  int(v: number): this {
    if (!Number.isSafeInteger(v)) throw new Error(`PickleWriter.int: ${v}`);
    if (v >= 0 && v < 256) return this.byte(0x4b).byte(v);
    if (v >= 0 && v < 65536) return this.byte(0x4d).byte(v).byte(v >> 8);
    if (v >= -2147483648 && v <= 2147483647) return this.byte(0x4a).u32(v >>> 0);
    // LONG1, little-endian two's complement
    const out: number[] = [];
    let b = BigInt(v);
    do {
      out.push(Number(b & 0xffn));
      b >>= 8n;
    } while (!(b === 0n && (out[out.length - 1] & 0x80) === 0) && !(b === -1n && (out[out.length - 1] & 0x80) !== 0));
    return this.byte(0x8a).byte(out.length).bytes(out);
  }
  bool(v: boolean): this {
    return this.byte(v ? 0x88 : 0x89);
  }
  tuple(items: number[]): this {
    if (items.length === 0) return this.byte(0x29);
    this.mark();
    for (const i of items) this.int(i);
    return this.byte(0x74);
  }
  emptyTuple(): this {
    return this.byte(0x29);
  }
  tupleFromMark(): this {
    return this.byte(0x74);
  }
  reduce(): this {
    return this.byte(0x52);
  }
  binpersid(): this {
    return this.byte(0x51);
  }
  setitems(): this {
    return this.byte(0x75);
  }
  stop(): Uint8Array {
    this.byte(0x2e);
    return Uint8Array.from(this.chunks);
  }
}
