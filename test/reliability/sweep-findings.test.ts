/**
 * Defects found by the issue-25 sweep rerun (scripts/sweep.mjs, scripts/fuzz.mjs library): the
 * library's file readers and setBackend, given a path or name that is not a string, threw a raw
 * TypeError (from fs, or "Cannot convert a Symbol value to a string") instead of a UserError naming
 * the call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convertCheckpoint, readSafetensors, readTorchCheckpoint, setBackend, UserError } from '../../src/index.js';

const WRONG: unknown[] = [Symbol('s'), 5, {}, ['a.safetensors'], null, undefined];

function refuses(call: () => unknown, name: string): void {
  try {
    call();
  } catch (e) {
    assert.ok(e instanceof UserError, `${name}: ${e instanceof Error ? e.stack : String(e)}`);
    assert.match(e.message, new RegExp(`^${name}: .* must be a string, got `));
    assert.ok(!e.message.includes('\n'));
    return;
  }
  assert.fail(`${name}: accepted a wrong argument`);
}

test('#25 sweep: readSafetensors, readTorchCheckpoint, convertCheckpoint and setBackend refuse a path or name that is not a string with a UserError', () => {
  for (const w of WRONG) {
    refuses(() => readSafetensors(w as string), 'readSafetensors');
    refuses(() => readTorchCheckpoint(w as string), 'readTorchCheckpoint');
    refuses(() => convertCheckpoint(w as string, 'out'), 'convertCheckpoint');
    refuses(() => convertCheckpoint('in', w as string), 'convertCheckpoint');
    refuses(() => setBackend(w as 'wasm'), 'setBackend');
  }
});
