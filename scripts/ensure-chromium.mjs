#!/usr/bin/env node
// Before `npm test`: the browser test (test/web/demo.test.ts) drives Debian's chromium through
// playwright-core. Installs it with apt-get when it is missing and we are root (CI); otherwise says
// how, and fails, so the browser test is never silently skipped.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  if (process.getuid?.() !== 0) {
    console.error(`${chromium} is missing: the browser test needs it. Install it (Debian/Ubuntu: sudo apt-get install -y chromium), or set CHROMIUM to a chromium binary.`);
    process.exit(1);
  }
  console.log(`${chromium} is missing: installing chromium with apt-get`);
  execSync('apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium', { stdio: 'inherit' });
  if (!existsSync(chromium)) {
    console.error(`apt-get install chromium did not provide ${chromium}`);
    process.exit(1);
  }
}
