/**
 * Dawn reaches a GPU on Linux through Vulkan. With no Vulkan driver manifest (ICD) to load, Dawn still
 * starts and fails later, printing the Vulkan loader's warnings and a C++ location to stderr before our
 * one line. Checking the manifests first gives only that line. The loader's rules, as documented in
 * LoaderInterfaceArchitecture.md: VK_DRIVER_FILES (or the older VK_ICD_FILENAMES), a list of files or
 * folders, replaces the search; otherwise icd.d folders under XDG_CONFIG_DIRS, /etc, XDG_DATA_HOME (or
 * ~/.local/share), XDG_DATA_DIRS (or /usr/local/share:/usr/share). VK_ADD_DRIVER_FILES adds to either.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface DriverFs {
  exists(path: string): boolean;
  isDir(path: string): boolean;
  list(dir: string): string[];
}

const realFs: DriverFs = {
  exists: (p) => existsSync(p),
  isDir: (p) => {
    try {
      return statSync(p).isDirectory();
    } catch {
      return false;
    }
  },
  list: (d) => {
    try {
      return readdirSync(d);
    } catch {
      return [];
    }
  },
};

function manifestsIn(entries: string[], fs: DriverFs): number {
  let n = 0;
  for (const e of entries) {
    if (fs.isDir(e)) n += fs.list(e).filter((f) => f.endsWith('.json')).length;
    else if (fs.exists(e)) n++;
  }
  return n;
}

/**
 * Why Vulkan can have no driver here (a one-line reason), or null when a manifest exists or the
 * platform is not Linux (Metal, D3D12: Dawn decides).
 */
export function vulkanDriverProblem(env: NodeJS.ProcessEnv, platform: string = process.platform, fs: DriverFs = realFs): string | null {
  if (platform !== 'linux') return null;
  const list = (v: string | undefined) => (v ?? '').split(delimiter).filter((s) => s !== '');
  const added = list(env.VK_ADD_DRIVER_FILES);
  const named = env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES;
  if (named !== undefined && named !== '') {
    if (manifestsIn([...list(named), ...added], fs) > 0) return null;
    return `no Vulkan driver manifest in ${env.VK_DRIVER_FILES !== undefined ? 'VK_DRIVER_FILES' : 'VK_ICD_FILENAMES'}=${named} (on Linux a Vulkan driver is needed; without a GPU, chromium's SwiftShader: /usr/lib/chromium/vk_swiftshader_icd.json)`;
  }
  const home = env.HOME ?? '';
  const dirs = [
    ...list(env.XDG_CONFIG_DIRS || '/etc/xdg'),
    '/etc',
    env.XDG_DATA_HOME || join(home, '.local', 'share'),
    ...list(env.XDG_DATA_DIRS || '/usr/local/share:/usr/share'),
  ].map((d) => join(d, 'vulkan', 'icd.d'));
  if (manifestsIn([...dirs, ...added], fs) > 0) return null;
  return 'no Vulkan driver is installed (no manifest in /usr/share/vulkan/icd.d or the other icd.d folders; on Linux a Vulkan driver is needed; without a GPU, set VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json)';
}
