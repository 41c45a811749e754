#!/usr/bin/env node
// Before the native peers of `npm run bench` (PyTorch for W1–W3, numpy for W1 and W2), all from
// Debian and run by /usr/bin/python3 (or $PYTHON):
// - python3-torch: PyTorch has no wheels on this machine's package index, but apt has 1.13;
// - python3-numpy;
// - libopenblas0-pthread: Debian's numpy, and torch's dense layers (BLAS_INFO=generic), call
//   whatever libblas.so.3 is, and that is the single-threaded reference BLAS (libblas3) unless an
//   optimised one is installed; installing OpenBLAS switches the libblas.so.3 alternative to it.
// Installs what is missing with apt-get when we are root; otherwise says what to run. Never fails:
// without torch or numpy the bench says "not installed" in its table, and on the reference BLAS
// the numpy peer is labelled so (bench/peers/peer_common.py reads the library really loaded).
import { execSync, spawnSync } from 'node:child_process';

const python = process.env.PYTHON ?? '/usr/bin/python3';
const runs = (code) => spawnSync(python, ['-c', code], { stdio: 'ignore' }).status === 0;
const hasTorch = () => runs('import torch');
const hasNumpy = () => runs('import numpy');
// Whether numpy really loads OpenBLAS: the library mapped after `import numpy`, not what it was built against.
const numpyOnOpenblas = () => runs("import numpy, sys; sys.exit(0 if any('openblas' in l for l in open('/proc/self/maps')) else 1)");

const missing = [
  ...(hasTorch() ? [] : ['python3-torch']),
  ...(hasNumpy() ? [] : ['python3-numpy']),
  ...(hasNumpy() && numpyOnOpenblas() ? [] : ['libopenblas0-pthread']),
];

if (missing.length > 0) {
  if (process.getuid?.() !== 0 || process.env.PYTHON) {
    console.log(`Native peers of the bench: ${missing.join(', ')} missing for ${python}; the bench runs without them (or on the reference BLAS). Install them (Debian/Ubuntu: sudo apt-get install -y ${missing.join(' ')}), or set PYTHON to a python that has them.`);
  } else {
    console.log(`Native peers of the bench: installing ${missing.join(' ')} with apt-get`);
    try {
      execSync(`apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing.join(' ')}`, { stdio: 'inherit' });
    } catch {
      // reported just below
    }
    if (!hasTorch()) console.log(`apt-get install python3-torch did not make \`${python} -c 'import torch'\` work: the bench runs without PyTorch.`);
    if (!hasNumpy()) console.log(`apt-get install python3-numpy did not make \`${python} -c 'import numpy'\` work: the bench runs without numpy.`);
    else if (!numpyOnOpenblas()) {
      console.log('numpy still loads no OpenBLAS (see `update-alternatives --display libblas.so.3-x86_64-linux-gnu`): its peer runs on the reference BLAS and says so.');
    }
  }
}
