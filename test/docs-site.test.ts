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
import { chromium, type Page } from 'playwright-core';
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
      const errors: string[] = [];
      const ids = new Map<string, Set<string>>(); // page → ids and names of its elements
      const links: { from: string; to: string }[] = [];
      const queue = [site + 'index.html'];
      const seen = new Set(queue);
      // Every page carries the same side navigation, drawn by the site's script from
      // assets/navigation.js: the index page and the guides are read with their scripts run (the
      // navigation waited for, any script error caught); the reference pages, with scripts off,
      // as their HTML is served, which is quicker and holds every link of their own.
      const visit = async (tabs: { scripted: Page; plain: Page }, url: string) => {
        const scripted = url === site + 'index.html' || url.includes('/documents/');
        const page = scripted ? tabs.scripted : tabs.plain;
        await page.goto(url, { waitUntil: 'load' });
        if (scripted) await page.waitForFunction(() => document.querySelector('.tsd-navigation a') !== null, undefined, { timeout: 10_000 });
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
      };
      const plain = await browser.newContext({ javaScriptEnabled: false });
      const workers = await Promise.all(
        [1, 2, 3].map(async () => {
          const tabs = { scripted: await browser.newPage(), plain: await plain.newPage() };
          tabs.scripted.on('pageerror', (e) => errors.push(`${tabs.scripted.url()}: ${e.message}`));
          return tabs;
        }),
      );
      await visit(workers[0], queue.shift()!);
      await Promise.all(
        workers.map(async (tabs) => {
          for (let url = queue.shift(); url !== undefined; url = queue.shift()) await visit(tabs, url);
        }),
      );
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
