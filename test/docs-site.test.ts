/**
 * `npm run docs` builds the guides (docs/*.md) and the API reference into one static site with
 * TypeDoc; its validation (typedoc.json) fails on an exported symbol without a doc comment and on a
 * broken {@link}. This test builds the site into a temporary folder, opens its index in chromium
 * (playwright-core, as the demo test) and follows every link inside the site: each target page must
 * exist and each #fragment must name an element of it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';

describe('the docs site (npm run docs)', () => {
  it('builds with no validation warning, and every internal link of every page resolves', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'deltagraph-docs-site-'));
    // TypeDoc exits non-zero on any warning (treatWarningsAsErrors): execFileSync then throws with its output.
    try {
      execFileSync(path.join(root, 'node_modules/.bin/typedoc'), ['--out', out], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      const { stdout, stderr } = error as { stdout: string; stderr: string };
      throw new Error(`npm run docs failed:\n${(stdout + stderr).replace(/\x1b\[[0-9;]*m/g, '')}`);
    }
    const site = pathToFileURL(out + '/').href;
    const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
      const ids = new Map<string, Set<string>>(); // page → ids and names of its elements
      const links: { from: string; to: string }[] = [];
      const queue = [site + 'index.html'];
      const seen = new Set(queue);
      while (queue.length > 0) {
        const url = queue.shift()!;
        await page.goto(url, { waitUntil: 'load' });
        // The side navigation is drawn by the site's script from assets/navigation.js: wait for it.
        await page.waitForFunction(() => document.querySelector('.tsd-navigation a') !== null, undefined, { timeout: 10_000 });
        const found = await page.evaluate(() => ({
          hrefs: Array.from(document.querySelectorAll('a[href]'), (a) => (a as HTMLAnchorElement).href),
          ids: Array.from(document.querySelectorAll('[id], a[name]'), (e) => e.id || e.getAttribute('name')!),
        }));
        ids.set(url, new Set(found.ids));
        for (const href of found.hrefs) {
          if (!href.startsWith(site)) continue; // outside the site (GitHub, MDN): not ours to check
          links.push({ from: url, to: href });
          const target = href.split('#')[0];
          if (!seen.has(target) && target.endsWith('.html') && existsSync(new URL(target))) {
            seen.add(target);
            queue.push(target);
          }
        }
      }
      const broken = links.filter(({ to }) => {
        const [target, fragment] = to.split('#');
        if (!existsSync(new URL(target))) return true;
        if (!fragment || !target.endsWith('.html')) return false;
        return !ids.get(target)?.has(decodeURIComponent(fragment));
      });
      const guides = [...ids.keys()].filter((u) => u.includes('/documents/'));
      console.log(`docs site: ${ids.size} pages (${guides.length} guides), ${links.length} internal links followed, ${broken.length} broken`);
      expect(broken.map(({ from, to }) => `${from.slice(site.length)} → ${to.slice(site.length)}`)).toEqual([]);
      expect(errors).toEqual([]);
      expect(guides.length).toBeGreaterThanOrEqual(10);
      expect(ids.size).toBeGreaterThan(100);
    } finally {
      await browser.close();
    }
  }, 240_000);
});
