/**
 * The Vulkan driver check that runs before Dawn loads (src/engine/webgpu/vulkan-drivers.ts): a Linux
 * machine with no driver manifest gets one line, one with a manifest where the loader looks goes on to
 * Dawn, and other platforms are left to Dawn.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { vulkanDriverProblem, type DriverFs } from '../../src/engine/webgpu/vulkan-drivers.js';

/** A file system of the given files; a folder exists when some file lies under it. */
function fakeFs(files: string[]): DriverFs {
  return {
    exists: (p) => files.includes(p),
    isDir: (p) => files.some((f) => f.startsWith(`${p}/`)),
    list: (d) => files.filter((f) => f.startsWith(`${d}/`)).map((f) => f.slice(d.length + 1)).filter((f) => !f.includes('/')),
  };
}

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';

test('VK_ICD_FILENAMES / VK_DRIVER_FILES: a named manifest that exists passes, a missing one is named in the line', () => {
  const fs = fakeFs([SWIFTSHADER]);
  assert.equal(vulkanDriverProblem({ VK_ICD_FILENAMES: SWIFTSHADER }, 'linux', fs), null);
  assert.equal(vulkanDriverProblem({ VK_DRIVER_FILES: `/nope.json:${SWIFTSHADER}` }, 'linux', fs), null);
  const p = vulkanDriverProblem({ VK_ICD_FILENAMES: '/tmp/no-such-icd.json' }, 'linux', fs);
  assert.match(p ?? '', /^no Vulkan driver manifest in VK_ICD_FILENAMES=\/tmp\/no-such-icd\.json /);
  assert.doesNotMatch(p!, /\n/);
  // the named list replaces the search: a manifest in /usr/share does not count then
  assert.notEqual(vulkanDriverProblem({ VK_ICD_FILENAMES: '/nope.json' }, 'linux', fakeFs(['/usr/share/vulkan/icd.d/radeon_icd.x86_64.json'])), null);
  // VK_ADD_DRIVER_FILES adds to it
  assert.equal(vulkanDriverProblem({ VK_ICD_FILENAMES: '/nope.json', VK_ADD_DRIVER_FILES: SWIFTSHADER }, 'linux', fs), null);
});

test('without those variables: the icd.d folders the Vulkan loader searches', () => {
  assert.equal(vulkanDriverProblem({ HOME: '/home/u' }, 'linux', fakeFs(['/usr/share/vulkan/icd.d/nvidia_icd.json'])), null);
  assert.equal(vulkanDriverProblem({ HOME: '/home/u' }, 'linux', fakeFs(['/etc/vulkan/icd.d/intel_icd.x86_64.json'])), null);
  assert.equal(vulkanDriverProblem({ HOME: '/home/u' }, 'linux', fakeFs(['/home/u/.local/share/vulkan/icd.d/my.json'])), null);
  assert.equal(vulkanDriverProblem({ HOME: '/home/u', XDG_DATA_DIRS: '/opt/share' }, 'linux', fakeFs(['/opt/share/vulkan/icd.d/x.json'])), null);
  // a folder with no manifest, or only other files, is no driver
  const p = vulkanDriverProblem({ HOME: '/home/u' }, 'linux', fakeFs(['/usr/share/vulkan/icd.d/README', '/usr/share/vulkan/explicit_layer.d/a.json']));
  assert.match(p ?? '', /^no Vulkan driver is installed/);
});

test('other platforms are left to Dawn (Metal, D3D12)', () => {
  assert.equal(vulkanDriverProblem({}, 'darwin', fakeFs([])), null);
  assert.equal(vulkanDriverProblem({}, 'win32', fakeFs([])), null);
});
