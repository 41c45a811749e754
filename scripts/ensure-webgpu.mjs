#!/usr/bin/env node
// Before `npm test`: the WebGPU tests (test/backends/webgpu, test/runtime/webgpu) run in Node on
// the npm package webgpu (Dawn), which needs a Vulkan driver. Debian 12's own lavapipe (Mesa 22)
// lacks what Dawn asks for; Mesa 25's llvmpipe from bookworm-backports has it. Installs that with
// apt-get when no adapter is found and we are root (CI); otherwise says how, and fails, so the
// GPU tests are never silently skipped.
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';

const probe = `
import { create } from 'webgpu';
const gpu = create([]);
const adapter = await gpu.requestAdapter();
console.log(adapter ? 'adapter' : 'none');
process.exit(0);`;

function hasAdapter() {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8', cwd: new URL('..', import.meta.url).pathname });
  return r.stdout.includes('adapter');
}

if (!hasAdapter()) {
  const howTo = "add 'deb http://deb.debian.org/debian bookworm-backports main' to the apt sources, then apt-get install -y -t bookworm-backports mesa-vulkan-drivers";
  if (process.getuid?.() !== 0) {
    console.error(`No WebGPU adapter in Node: the WebGPU tests need a Vulkan driver that Dawn accepts (Mesa ≥ 25's llvmpipe). As root: ${howTo}.`);
    process.exit(1);
  }
  console.log('No WebGPU adapter in Node: installing Mesa 25 (llvmpipe) from bookworm-backports');
  const list = '/etc/apt/sources.list.d/bookworm-backports.list';
  if (!existsSync(list) && !existsSync('/etc/apt/sources.list.d/backports.list')) writeFileSync(list, 'deb http://deb.debian.org/debian bookworm-backports main\n');
  execSync('apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y -t bookworm-backports mesa-vulkan-drivers', { stdio: 'inherit' });
  if (!hasAdapter()) {
    console.error(`Installed mesa-vulkan-drivers from bookworm-backports, and still no WebGPU adapter in Node (${howTo}).`);
    process.exit(1);
  }
}
