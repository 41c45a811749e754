#!/usr/bin/env node
// Before the W3 peers of `npm run bench`: PyTorch (CPU) from Debian's python3-torch, run by
// /usr/bin/python3 (or $PYTHON). PyTorch has no wheels on this machine's package index, but apt has
// 1.13. Installs it with apt-get when `import torch` fails and we are root; otherwise says what to
// run. Never fails: without torch the bench prints "PyTorch not installed" in its table and goes on.
import { execSync, spawnSync } from 'node:child_process';

const python = process.env.PYTHON ?? '/usr/bin/python3';
const hasTorch = () => spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

if (!hasTorch()) {
  if (process.getuid?.() !== 0 || process.env.PYTHON) {
    console.log(`PyTorch is missing for ${python}: the W3 bench runs without it. Install it (Debian/Ubuntu: sudo apt-get install -y python3-torch), or set PYTHON to a python with torch.`);
  } else {
    console.log('PyTorch is missing: installing python3-torch with apt-get (for the W3 peer of the bench)');
    try {
      execSync('apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y python3-torch', { stdio: 'inherit' });
    } catch {
      // reported just below
    }
    if (!hasTorch()) console.log(`apt-get install python3-torch did not make \`${python} -c 'import torch'\` work: the W3 bench runs without PyTorch.`);
  }
}
