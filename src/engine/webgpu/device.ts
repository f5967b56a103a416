/// <reference types="@webgpu/types" />
/**
 * The WebGPU device thread: owns the adapter, the device, the one memory buffer and the pipelines, and
 * runs the engine thread's command lists (protocol.ts). It is the same code in Node (Dawn, through
 * device-worker-node.ts) and in the page (navigator.gpu, web/src/gpu-worker.ts).
 *
 * Memory is a single storage buffer (`mem` in every shader), so a kernel binds exactly two things: that
 * buffer and its own 256-byte slot of parameters (a dynamic offset into one uniform buffer). Pointer
 * arguments are byte addresses in that buffer; WebGPU forbids binding one buffer twice as writable
 * storage, which one binding for all pointers avoids (out == x just works). The buffer grows by copying
 * into a larger one, so addresses stay valid.
 */
import { KERNELS } from '../kernel-table.js';
import { GRIDS, type Grid } from './grids.js';
import { COMMAND_DOUBLES, CTRL, DATA_BYTES, INFO, OP, readText, waitAsync, writeText, type Channel } from './protocol.js';
import { WGSL } from './wgsl-table.js';

const SLOT = 256;
const SLOTS = 4096;
const MAX_GROUPS = 65535;

/** What the device thread reports about its adapter (the status line's text). */
export function adapterName(info: GPUAdapterInfo | undefined): string {
  if (!info) return 'unknown adapter';
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((s) => s && s.length > 0);
  return parts.length > 0 ? [...new Set(parts)].join(' ') : 'unknown adapter';
}

/** Starts the device and serves command lists until asked to stop. Never throws: failures go to ctrl. */
export async function serveDevice(gpu: GPU | undefined, ch: Channel): Promise<void> {
  const ctrl = new Int32Array(ch.ctrl);
  const fail = (msg: string): void => {
    writeText(ch, msg);
    Atomics.store(ctrl, CTRL.STATUS, -1);
    Atomics.notify(ctrl, CTRL.STATUS);
  };
  let device: GPUDevice;
  let adapter: GPUAdapter | null;
  try {
    if (!gpu) return fail('no WebGPU adapter: this environment has no WebGPU implementation');
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return fail('no WebGPU adapter: the WebGPU implementation found no GPU (on Linux: a Vulkan driver is needed)');
    const lim = adapter.limits;
    device = await adapter.requestDevice({
      requiredLimits: {
        maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize,
        maxBufferSize: lim.maxBufferSize,
        maxComputeWorkgroupStorageSize: lim.maxComputeWorkgroupStorageSize,
        maxComputeInvocationsPerWorkgroup: lim.maxComputeInvocationsPerWorkgroup,
      },
    });
  } catch (e) {
    return fail(`no WebGPU adapter: ${(e as Error).message}`);
  }
  const runtime = new Runtime(device, ch);
  const maxBinding = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  new Float64Array(ch.info)[INFO.MAX_BINDING] = Math.floor(maxBinding / 4) * 4;
  writeText(ch, adapterName(adapter.info));
  Atomics.store(ctrl, CTRL.STATUS, 1);
  Atomics.notify(ctrl, CTRL.STATUS);

  let seen = 0;
  for (;;) {
    const w = waitAsync(ctrl, CTRL.REQUEST, seen);
    if (w.async) await w.value;
    if (Atomics.load(ctrl, CTRL.STOP) === 1) {
      device.destroy();
      return;
    }
    seen = Atomics.load(ctrl, CTRL.REQUEST);
    try {
      await runtime.run(Atomics.load(ctrl, CTRL.COMMANDS));
      const lost = runtime.takeError();
      if (lost) throw new Error(lost);
    } catch (e) {
      writeText(ch, (e as Error).message.split('\n')[0]);
      Atomics.store(ctrl, CTRL.ERROR, e instanceof MissingKernel ? 2 : 1);
      runtime.reset();
    }
    Atomics.store(ctrl, CTRL.DONE, seen);
    Atomics.notify(ctrl, CTRL.DONE);
  }
}

/** A kernel the spec has and WGSL does not (yet): the user's to route around, not a crash. */
class MissingKernel extends Error {}

class Runtime {
  private mem: GPUBuffer | null = null;
  private memBytes = 0;
  private readonly params: GPUBuffer;
  private readonly paramData = new ArrayBuffer(SLOT * SLOTS);
  private readonly paramView = new DataView(this.paramData);
  private readonly layout: GPUBindGroupLayout;
  private readonly pipelineLayout: GPUPipelineLayout;
  private bindGroup: GPUBindGroup | null = null;
  private readonly pipelines = new Map<number, GPUComputePipeline>();
  private readback: GPUBuffer | null = null;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private slot = 0;
  private slotStart = 0;
  private error: string | null = null;
  private readonly commands: Float64Array;
  private readonly data: Uint8Array;
  private readonly staging = new Uint8Array(DATA_BYTES);

  constructor(
    private readonly device: GPUDevice,
    ch: Channel,
  ) {
    this.commands = new Float64Array(ch.commands, 0, COMMAND_DOUBLES);
    this.data = new Uint8Array(ch.data);
    device.addEventListener('uncapturederror', (ev) => {
      this.error ??= `WebGPU error: ${(ev as GPUUncapturedErrorEvent).error.message.split('\n')[0]}`;
    });
    void device.lost.then((info) => {
      this.error ??= `the WebGPU device was lost: ${info.message || info.reason}`;
    });
    this.params = device.createBuffer({ size: SLOT * SLOTS, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.layout = device.createBindGroupLayout({
      entries: [
        { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } },
        { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true } },
      ],
    });
    this.pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [this.layout] });
  }

  takeError(): string | null {
    const e = this.error;
    this.error = null;
    return e;
  }

  reset(): void {
    this.encoder = null;
    this.pass = null;
    this.slot = this.slotStart = 0;
  }

  async run(n: number): Promise<void> {
    const c = this.commands;
    let i = 0;
    while (i < n) {
      const op = c[i];
      if (op === OP.CALL) {
        const id = c[i + 1];
        const nargs = c[i + 2];
        await this.call(id, c.subarray(i + 3, i + 3 + nargs));
        i += 3 + nargs;
      } else if (op === OP.WRITE) {
        // queue.writeBuffer runs before the next submit: what is encoded so far must go first.
        this.submit();
        // Dawn's Node binding crashes on views of shared memory: go through a private copy.
        const len = c[i + 2];
        this.staging.set(this.data.subarray(c[i + 3], c[i + 3] + len));
        this.device.queue.writeBuffer(this.memory(), c[i + 1], this.staging, 0, len);
        i += 4;
      } else if (op === OP.READ) {
        await this.read(c[i + 1], c[i + 2]);
        i += 3;
      } else if (op === OP.GROW) {
        this.grow(c[i + 1]);
        i += 2;
      } else {
        throw new Error(`webgpu: bad command ${op} at ${i}`);
      }
    }
    this.submit();
  }

  private memory(): GPUBuffer {
    if (!this.mem) throw new Error('webgpu: memory used before it was allocated');
    return this.mem;
  }

  private grow(bytes: number): void {
    this.submit();
    const next = this.device.createBuffer({
      size: bytes,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    if (this.mem) {
      const enc = this.device.createCommandEncoder();
      enc.copyBufferToBuffer(this.mem, 0, next, 0, this.memBytes);
      this.device.queue.submit([enc.finish()]);
      this.mem.destroy();
    }
    this.mem = next;
    this.memBytes = bytes;
    this.bindGroup = this.device.createBindGroup({
      layout: this.layout,
      entries: [
        { binding: 0, resource: { buffer: next } },
        { binding: 1, resource: { buffer: this.params, size: SLOT } },
      ],
    });
  }

  private async pipeline(id: number): Promise<GPUComputePipeline> {
    const have = this.pipelines.get(id);
    if (have) return have;
    const name = KERNELS[id]?.[0];
    const entry = name === undefined ? undefined : WGSL[name];
    if (!entry || !GRIDS[name!]) throw new MissingKernel(`kernel ${name ?? `#${id}`} has no WebGPU implementation yet; use --backend native or wasm for this command`);
    const module = this.device.createShaderModule({ code: entry[1], label: name });
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length > 0) {
      const m = errors[0];
      throw new Error(`WGSL kernel ${name} does not compile: line ${m.lineNum}: ${m.message.split('\n')[0]}`);
    }
    const p = await this.device.createComputePipelineAsync({
      layout: this.pipelineLayout,
      compute: { module, entryPoint: 'main' },
      label: name,
    });
    this.pipelines.set(id, p);
    return p;
  }

  private async call(id: number, args: Float64Array): Promise<void> {
    const name = KERNELS[id]?.[0] ?? `#${id}`;
    const pipeline = await this.pipeline(id);
    const [kinds] = WGSL[name];
    let grid = GRIDS[name](args);
    if (typeof grid === 'number') grid = fold(grid);
    if (grid[0] === 0 || grid[1] === 0 || grid[2] === 0) return;
    if (grid[0] > MAX_GROUPS || grid[1] > MAX_GROUPS || grid[2] > MAX_GROUPS) {
      throw new Error(`kernel ${name}: its launch of ${grid.join('x')} workgroups is over WebGPU's 65535 a dimension`);
    }
    if (this.slot === SLOTS) this.submit();
    const base = this.slot * SLOT;
    const v = this.paramView;
    let off = base;
    for (let a = 0; a < kinds.length; a++) {
      const x = args[a];
      switch (kinds[a]) {
        case 'p':
          if (x % 4 !== 0) throw new Error(`kernel ${name}: argument ${a + 1} is not 4-byte aligned`);
          v.setUint32(off, x / 4, true);
          break;
        case 'u':
          v.setUint32(off, x, true);
          break;
        case 'i':
          v.setInt32(off, x, true);
          break;
        case 'f':
          v.setFloat32(off, x, true);
          break;
        case 'd': {
          const hi = Math.fround(x);
          v.setFloat32(off, hi, true);
          off += 4;
          v.setFloat32(off, x - hi, true);
          break;
        }
      }
      off += 4;
    }
    if (!this.pass) {
      this.encoder = this.device.createCommandEncoder();
      this.pass = this.encoder.beginComputePass();
    }
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, this.bindGroup!, [base]);
    this.pass.dispatchWorkgroups(grid[0], grid[1], grid[2]);
    this.slot++;
  }

  /** Ends the pass, uploads the parameters its dispatches use and submits it. */
  private submit(): void {
    if (!this.encoder) return;
    this.pass!.end();
    const from = this.slotStart * SLOT;
    this.device.queue.writeBuffer(this.params, from, this.paramData, from, this.slot * SLOT - from);
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.pass = null;
    // The slots wrap only at a submit: a later write to a slot is queued after the work that read it.
    if (this.slot === SLOTS) this.slot = 0;
    this.slotStart = this.slot;
  }

  private async read(addr: number, bytes: number): Promise<void> {
    this.submit();
    if (bytes === 0) return;
    if (!this.readback || this.readback.size < bytes) {
      this.readback?.destroy();
      this.readback = this.device.createBuffer({ size: Math.max(bytes, 1 << 16), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    }
    const enc = this.device.createCommandEncoder();
    enc.copyBufferToBuffer(this.memory(), addr, this.readback, 0, bytes);
    this.device.queue.submit([enc.finish()]);
    await this.readback.mapAsync(GPUMapMode.READ, 0, bytes);
    this.data.set(new Uint8Array(this.readback.getMappedRange(0, bytes)), 0);
    this.readback.unmap();
  }
}

/** A 1-D count of workgroups as x * y, each at most 65535 (kernels read flat_wg). */
function fold(groups: number): [number, number, number] {
  if (groups <= MAX_GROUPS) return [groups, 1, 1];
  const y = Math.ceil(groups / MAX_GROUPS);
  return [Math.ceil(groups / y), y, 1];
}

export { readText };
export type { Grid };
