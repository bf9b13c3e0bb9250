// What every browser walk shares: Debian's Chromium with a page per viewport, the checks each
// screen must pass (no sideways scrolling, labelled controls, axe-core's WCAG 2.1 A/AA rules,
// a keyboard walk with visible focus and no trap) and the README's screenshots.
// Environment: CHROMIUM (default /usr/bin/chromium), SCREENSHOT_DIR (where to put screenshots;
// none when unset), SCREENSHOT_DOCS (the README's copies, renewed where a screen changed).

import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export const PHONE = { width: 360, height: 740 };
export const DESKTOP = { width: 1280, height: 800 };
const STEP_TIMEOUT = 15000;
export const shots = process.env.SCREENSHOT_DIR;
if (shots) mkdirSync(shots, { recursive: true });

let current = 'starting the browser';
export const step = (name) => {
  current = name;
  console.log(`· ${name}`);
};
export function check(condition, message) {
  if (!condition) throw new Error(message);
}

export const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  // As root (CI containers) Chromium's sandbox cannot start.
  args: ['--no-sandbox'],
});
const problems = [];

export async function newPage(viewport, label) {
  const context = await browser.newContext({ viewport, locale: 'nb-NO', timezoneId: 'Europe/Oslo', acceptDownloads: true });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  page.on('pageerror', (error) => problems.push(`${label}: ${error.message}`));
  page.on('console', (message) => {
    // Failed requests while offline, and answers the client expects (locked page, wrong
    // password), are logged by Chromium itself; script errors and CSP violations are not those.
    const text = message.text();
    if (message.type() === 'error' && !/Failed to load resource|ERR_INTERNET_DISCONNECTED/.test(text)) {
      problems.push(`${label}: ${text}`);
    }
  });
  return page;
}

export async function expectHeading(page, text) {
  await page.locator('h1', { hasText: text }).waitFor();
}

/** No sideways scrolling at phone width; every form control has a label; axe finds nothing. */
export async function checkLayout(page, where) {
  const { width, unlabelled } = await page.evaluate(() => ({
    width: document.documentElement.scrollWidth,
    unlabelled: [...document.querySelectorAll('input, textarea, select')]
      .filter((e) => e.labels.length === 0 && !e.getAttribute('aria-label'))
      .map((e) => e.id || e.name || e.tagName),
  }));
  const viewport = page.viewportSize();
  check(width <= viewport.width, `${where}: the page is ${width}px wide at a ${viewport.width}px viewport`);
  // Running text keeps a readable measure: no paragraph wider than 45 em (about 90 characters).
  const wide = await page.evaluate(() => [...document.querySelectorAll('main p')]
    .filter((p) => !p.closest('td, th, .table-wrap') && p.textContent.trim().length > 90)
    .map((p) => [p.textContent.trim().slice(0, 40), p.getBoundingClientRect().width / parseFloat(getComputedStyle(p).fontSize)])
    .filter(([, ems]) => ems > 45));
  check(wide.length === 0, `${where}: lines too long to read comfortably: ${wide.map(([t, e]) => `"${t}…" ${e.toFixed(0)} em`).join('; ')}`);
  // Words in the menu and the footer stay whole on a phone.
  const broken = await page.evaluate(() => [...document.querySelectorAll('#nav a, #nav button, .page-footer a')]
    .filter((e) => e.textContent.trim().split(/\s+/).length === 1 && e.getClientRects().length === 1
      && e.getBoundingClientRect().height > Math.max(50, 2.6 * parseFloat(getComputedStyle(e).fontSize)))
    .map((e) => e.textContent.trim()));
  check(broken.length === 0, `${where}: words broken across lines: ${broken.join(', ')}`);
  check(unlabelled.length === 0, `${where}: form controls without a label: ${unlabelled.join(', ')}`);
  await audit(page, where);
}

/** axe-core's WCAG 2.1 A and AA rules (contrast, names, landmarks, …) find nothing. */
export async function audit(page, where) {
  // Evaluated through the DevTools protocol, so the page's CSP need not be loosened for it.
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] });
    return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')})`);
  });
  check(violations.length === 0, `${where}: accessibility problems:\n  ${violations.join('\n  ')}`);
}

/**
 * Tabs through the whole screen: every stop shows where focus is (an outline or a shadow),
 * and Tab goes on past the last control and comes round again (no trap). `expect` are
 * accessible names that must be among the stops.
 */
export async function keyboardWalk(page, where, expect = []) {
  await page.evaluate(() => document.activeElement?.blur());
  const seen = [];
  for (let i = 0; i < 200; i += 1) {
    await page.keyboard.press('Tab');
    const stop = await page.evaluate(() => {
      const e = document.activeElement;
      if (!e || e === document.body) return null;
      const style = getComputedStyle(e);
      const visible = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
      const name = (e.getAttribute('aria-label') || e.labels?.[0]?.textContent || e.textContent || e.id || e.tagName).trim().replace(/\s+/g, ' ');
      if (!e.dataset.walk) e.dataset.walk = String(Math.random());
      return { key: e.dataset.walk, name: name.slice(0, 60), visible };
    });
    if (!stop) continue;
    // Date and time inputs take several Tabs, one per part (day, month, year, the picker).
    if (seen.length && stop.key === seen.at(-1).key) continue;
    if (seen.length && stop.key === seen[0].key) break;
    check(stop.visible, `${where}: focus on "${stop.name}" is not visible`);
    check(!seen.some((s) => s.key === stop.key), `${where}: Tab came back to "${stop.name}" before reaching the end (a trap)`);
    seen.push(stop);
  }
  check(seen.length > 0, `${where}: nothing takes focus`);
  for (const name of expect) {
    check(seen.some((s) => s.name.includes(name)), `${where}: Tab never reaches "${name}" (stops: ${seen.map((s) => s.name).join(' | ')})`);
  }
  return seen.map((s) => s.name);
}

let desktop;
/**
 * The screen passes its checks on the phone, and at the same address on a desktop; both are
 * photographed (`<name>-phone.png`, `<name>-desktop.png`). `signIn(page)` signs the desktop
 * page in the first time it is needed.
 */
export async function shoot(phone, name, signIn) {
  await checkLayout(phone, name);
  if (!desktop) {
    desktop = await newPage(DESKTOP, 'desktop');
    if (signIn) await signIn(desktop);
  }
  await desktop.goto(phone.url());
  await desktop.locator('h1').waitFor();
  await desktop.waitForLoadState('networkidle');
  await checkLayout(desktop, `${name} (desktop)`);
  if (!shots) return;
  await phone.screenshot({ path: join(shots, `${name}-phone.png`) });
  await desktop.screenshot({ path: join(shots, `${name}-desktop.png`) });
}
export const desktopPage = () => desktop;
export function useDesktop(page) {
  desktop = page;
}

/** A link (or the sign-out button) of the main menu, unfolding it first on a phone. */
export async function menu(page, name, role = 'link') {
  const toggle = page.getByRole('button', { name: 'Meny' });
  if (await toggle.isVisible() && await toggle.getAttribute('aria-expanded') === 'false') await toggle.click();
  return page.getByRole('navigation', { name: 'Hovedmeny' }).getByRole(role, { name });
}

/** The signed-in user's access token, as the client keeps it. */
export async function accessToken(page) {
  const session = await page.evaluate(() => JSON.parse(localStorage.getItem('mentorsti.session')));
  return session?.access;
}

/** What the API answers the page's signed-in user (a GET that must succeed). */
export async function apiGet(page, path) {
  const origin = new URL(page.url()).origin;
  const response = await page.request.get(`${origin}/api/v1${path}`, { headers: { authorization: `Bearer ${await accessToken(page)}` } });
  check(response.ok(), `GET ${path} answered ${response.status()}`);
  return response.json();
}

/** Signs in with the password form and waits for the heading of the start page. */
export async function signInWith(page, base, email, password, heading) {
  await page.goto(`${base}/sign-in`);
  await page.getByLabel('E-post').fill(email);
  await page.getByLabel('Passord', { exact: true }).fill(password);
  // Exactly: a provider's button ("Logg inn med ID-porten") may stand beside it.
  await page.getByRole('button', { name: 'Logg inn', exact: true }).click();
  await expectHeading(page, heading);
}

// The README's screenshots follow the client: every run takes them afresh, and a stored one
// that differs visibly from what the client shows now is replaced (and shrunk with pngquant
// when it is installed), so a change of a screen shows up in `git status` at once. Renders
// that differ only by a few pixels of antialiasing leave the stored file alone.
const CHANGED_PIXELS = 100;
async function differingPixels(page, a, b) {
  return page.evaluate(async ([first, second]) => {
    const load = (data) => new Promise((resolve, reject) => {
      const image = new Image();
      image.onload = () => resolve(image);
      image.onerror = reject;
      image.src = `data:image/png;base64,${data}`;
    });
    const [x, y] = await Promise.all([load(first), load(second)]);
    if (x.width !== y.width || x.height !== y.height) return Infinity;
    const pixels = (image) => {
      const canvas = new OffscreenCanvas(image.width, image.height);
      const context = canvas.getContext('2d');
      context.drawImage(image, 0, 0);
      return context.getImageData(0, 0, image.width, image.height).data;
    };
    const [p, q] = [pixels(x), pixels(y)];
    let changed = 0;
    for (let i = 0; i < p.length; i += 4) {
      if (Math.abs(p[i] - q[i]) > 48 || Math.abs(p[i + 1] - q[i + 1]) > 48 || Math.abs(p[i + 2] - q[i + 2]) > 48) changed += 1;
    }
    return changed;
  }, [a.toString('base64'), b.toString('base64')]);
}

async function renewScreenshots(base, taken, stored) {
  step('the README screenshots match the client');
  const page = await newPage(DESKTOP, 'screenshots');
  await page.goto(`${base}/sign-in`);
  mkdirSync(stored, { recursive: true });
  for (const name of readdirSync(taken).filter((f) => f.endsWith('.png')).sort()) {
    const fresh = readFileSync(join(taken, name));
    const target = join(stored, name);
    let changed = Infinity;
    try {
      changed = process.env.UPDATE_SCREENSHOTS ? Infinity : await differingPixels(page, fresh, readFileSync(target));
    } catch { /* not stored yet */ }
    if (changed > CHANGED_PIXELS) {
      writeFileSync(target, fresh);
      spawnSync('pngquant', ['--force', '--skip-if-larger', '--ext', '.png', '--quality', '60-90', target]);
      console.log(`  renewed ${name} (${changed === Infinity ? 'new or resized' : `${changed} pixels differ`})`);
    }
  }
  await page.close();
}

/** Runs a walk: exits non-zero at the first step that fails, saying which. */
export async function walk(base, name, body) {
  try {
    await body();
    check(problems.length === 0, `errors in the browser:\n${problems.join('\n')}`);
    if (shots && process.env.SCREENSHOT_DOCS) await renewScreenshots(base, shots, process.env.SCREENSHOT_DOCS);
    console.log(`${name} complete`);
    await browser.close();
  } catch (error) {
    console.error(`FAILED at "${current}": ${error.message}`);
    if (problems.length) console.error(`errors in the browser:\n${problems.join('\n')}`);
    await browser.close();
    process.exit(1);
  }
}

/**
 * Cuts the network of a browser context (`offline` true) or gives it back, for its pages and
 * its service worker alike, and checks that the cut is real: a walk that reads "offline" while
 * the worker still reached the server would prove nothing. Chromium's offline mode (playwright's
 * `context.setOffline`) does cut the worker's own fetches too (checked with playwright-core
 * 1.65 and Chromium 156, also for a worker started again while offline), but it fires no
 * `online`/`offline` events, which the client listens to (to try again, to send the outbox):
 * they are sent to every page here. `base` is the server's address.
 */
export async function cutNetwork(context, offline, base) {
  await context.setOffline(offline);
  for (const page of context.pages()) {
    await page.evaluate((off) => window.dispatchEvent(new Event(off ? 'offline' : 'online')), offline).catch(() => {});
  }
  const probe = (url) => fetch(url, { cache: 'no-store' }).then(() => true, () => false);
  for (const worker of context.serviceWorkers()) {
    const reached = await worker.evaluate(probe, `${base}/health/ready`);
    check(reached === !offline, `the service worker ${offline ? 'still reaches' : 'cannot reach'} the server`);
  }
  for (const page of context.pages()) {
    const reached = await page.evaluate(probe, `${base}/health/ready`).catch(() => !offline);
    check(reached === !offline, `the page ${offline ? 'still reaches' : 'cannot reach'} the server`);
  }
}

/** Waits until the page is in the hands of the service worker (it keeps what is read from then on). */
export async function workerControls(page) {
  await page.waitForFunction(() => Boolean(navigator.serviceWorker?.controller));
}
