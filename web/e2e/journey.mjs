// Drives Debian's Chromium through a mentor's journey in the web client, against a real server:
// node journey.mjs <base-url> <email> <password>
// Environment: CHROMIUM (default /usr/bin/chromium), SCREENSHOT_DIR (where to put screenshots;
// none when unset), COORDINATOR_EMAIL/COORDINATOR_PASSWORD (also check the coordinator screen
// with a coordinator who has at least two municipalities with mentors),
// RESET_TOKEN (a password-reset token from an email: end by choosing a new password with it),
// INVITATION_TOKEN (an invitation's token from an email: accept it and arrive on the path).
// Exits non-zero at the first step that fails, saying which.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { bundledFilms, checkFilms } from './films.mjs';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const [base, email, password] = process.argv.slice(2);
if (!base || !email || !password) {
  console.error('usage: node journey.mjs <base-url> <email> <password>');
  process.exit(2);
}
const shots = process.env.SCREENSHOT_DIR;
if (shots) mkdirSync(shots, { recursive: true });
const FIRST_SCREEN_LIMIT = 100 * 1024;
const PHONE = { width: 360, height: 740 };
const DESKTOP = { width: 1280, height: 800 };
const STEP_TIMEOUT = 15000;

let current = 'starting the browser';

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

async function renewScreenshots(taken, stored) {
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
const step = (name) => {
  current = name;
  console.log(`· ${name}`);
};
function check(condition, message) {
  if (!condition) throw new Error(message);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  // As root (CI containers) Chromium's sandbox cannot start.
  args: ['--no-sandbox'],
});
const problems = [];

async function newPage(viewport, label) {
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

async function expectHeading(page, text) {
  await page.locator('h1', { hasText: text }).waitFor();
}

/** No sideways scrolling at phone width; every form control has a label. */
async function checkLayout(page, where) {
  const { width, unlabelled } = await page.evaluate(() => ({
    width: document.documentElement.scrollWidth,
    unlabelled: [...document.querySelectorAll('input, textarea, select')]
      .filter((e) => e.labels.length === 0 && !e.getAttribute('aria-label'))
      .map((e) => e.id || e.name || e.tagName),
  }));
  const viewport = page.viewportSize();
  check(width <= viewport.width, `${where}: the page is ${width}px wide at a ${viewport.width}px viewport`);
  check(unlabelled.length === 0, `${where}: form controls without a label: ${unlabelled.join(', ')}`);
  await audit(page, where);
}

/** axe-core's WCAG 2.1 A and AA rules (contrast, names, landmarks, …) find nothing. */
async function audit(page, where) {
  // Evaluated through the DevTools protocol, so the page's CSP need not be loosened for it.
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] });
    return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')})`);
  });
  check(violations.length === 0, `${where}: accessibility problems:\n  ${violations.join('\n  ')}`);
}

let desktop;
/** Screenshots of the phone's current screen, and of the same address on a desktop. */
async function shoot(phone, name) {
  await checkLayout(phone, name);
  if (!shots) return;
  await phone.screenshot({ path: join(shots, `${name}-phone.png`) });
  await desktop.goto(phone.url());
  await desktop.locator('h1').waitFor();
  await desktop.waitForLoadState('networkidle');
  await checkLayout(desktop, `${name} (desktop)`);
  await desktop.screenshot({ path: join(shots, `${name}-desktop.png`) });
}

/** A link (or the sign-out button) of the main menu, unfolding it first on a phone. */
async function menu(page, name, role = 'link') {
  const toggle = page.getByRole('button', { name: 'Meny' });
  if (await toggle.isVisible() && await toggle.getAttribute('aria-expanded') === 'false') await toggle.click();
  return page.getByRole('navigation', { name: 'Hovedmeny' }).getByRole(role, { name });
}

async function session(page) {
  return page.evaluate(() => JSON.parse(localStorage.getItem('mentorsti.session')));
}
async function apiGet(page, path) {
  const { access } = await session(page);
  const response = await page.request.get(`${base}/api/v1${path}`, { headers: { authorization: `Bearer ${access}` } });
  check(response.ok(), `GET ${path} answered ${response.status()}`);
  return response.json();
}

async function signIn(page) {
  await page.goto(`${base}/sign-in`);
  await page.getByLabel('E-post').fill(email);
  await page.getByLabel('Passord', { exact: true }).fill(password);
  await page.getByLabel('Passord', { exact: true }).press('Enter');
  await page.locator('h1', { hasText: 'Hei' }).waitFor();
}

try {
  step('the first screen loads under 100 KB transferred');
  const phone = await newPage(PHONE, 'phone');
  const transferred = [];
  const onResponse = async (response) => {
    const sizes = await response.request().sizes().catch(() => null);
    if (sizes) transferred.push({ url: response.url(), bytes: sizes.responseBodySize + sizes.responseHeadersSize });
  };
  phone.on('response', onResponse);
  await phone.goto(`${base}/`, { waitUntil: 'networkidle' });
  await expectHeading(phone, 'Logg inn');
  phone.off('response', onResponse);
  const total = transferred.reduce((sum, r) => sum + r.bytes, 0);
  console.log(`  first screen: ${total} bytes transferred in ${transferred.length} requests`);
  for (const r of transferred) console.log(`    ${r.bytes}\t${r.url.replace(base, '')}`);
  check(total < FIRST_SCREEN_LIMIT, `the first screen took ${total} bytes`);

  desktop = await newPage(DESKTOP, 'desktop');
  await shoot(phone, 'sign-in');

  step('a wrong password is refused with a message');
  await phone.getByLabel('E-post').fill(email);
  await phone.getByLabel('Passord', { exact: true }).fill('not the right password at all');
  await phone.getByRole('button', { name: 'Logg inn' }).click();
  await phone.getByRole('alert').filter({ hasText: 'E-postadressen eller passordet er feil' }).waitFor();

  step('sign in with the keyboard alone');
  await phone.goto(`${base}/`);
  await expectHeading(phone, 'Logg inn');
  await phone.keyboard.press('Tab');
  check(await phone.evaluate(() => document.activeElement.textContent) === 'Hopp til innholdet', 'the first tab stop is the skip link');
  await phone.getByLabel('E-post').focus();
  await phone.keyboard.type(email);
  await phone.keyboard.press('Tab');
  await phone.keyboard.type(password);
  await phone.keyboard.press('Enter');
  await expectHeading(phone, 'Hei');
  // The folded menu opens from the keyboard, and its links follow the button.
  await phone.getByRole('button', { name: 'Meny' }).focus();
  await phone.keyboard.press('Enter');
  await phone.keyboard.press('Tab');
  check(await phone.evaluate(() => document.activeElement.textContent) === 'Læringsstien', 'Tab after the menu button reaches the first link');
  await phone.keyboard.press('Shift+Tab');
  await phone.keyboard.press('Enter');
  check(await phone.getByRole('button', { name: 'Meny' }).getAttribute('aria-expanded') === 'false', 'the menu folds again');

  step('desktop signs in too (for the screenshots)');
  await signIn(desktop);

  step('a crafted next link cannot lead away from the client');
  const crafted = await newPage(PHONE, 'crafted next');
  // Browsers read `/\evil.example/` as `//evil.example/`, another host.
  await crafted.goto(`${base}/sign-in?next=%2F%5Cevil.example%2F`);
  await expectHeading(crafted, 'Logg inn');
  await crafted.getByLabel('E-post').fill(email);
  await crafted.getByLabel('Passord', { exact: true }).fill(password);
  await crafted.getByLabel('Passord', { exact: true }).press('Enter');
  await expectHeading(crafted, 'Hei');
  check(crafted.url() === `${base}/`, `after signing in the crafted link led to ${crafted.url()}`);
  // The rule itself, from the module the page loaded, against the page's own origin.
  const nexts = [
    ['/\\evil.example/', '/'],
    ['//evil.example/', '/'],
    ['/\t/evil.example/', '/'],
    ['https://evil.example/', '/'],
    [null, '/'],
    ['/modules/2/om-doden?fra=e-post#svar', '/modules/2/om-doden?fra=e-post#svar'],
  ];
  const answered = await crafted.evaluate(async (cases) => {
    const app = document.querySelector('script[type="module"]').src;
    const { safeNext } = await import(new URL('screens/auth.js', app));
    return cases.map(([next]) => safeNext(next));
  }, nexts);
  nexts.forEach(([next, expected], i) => check(answered[i] === expected, `next ${JSON.stringify(next)} leads to ${answered[i]}`));
  await crafted.context().close();

  step('the learning path shows modules, page status and where to continue');
  const path = await apiGet(phone, '/path');
  const [m1, m2, m3, m4] = path.modules;
  check(path.modules.length === 4 && m1.status === 'available', 'four modules, the first open');
  await phone.getByRole('link', { name: `Start: ${m1.pages[0].title}` }).waitFor();
  check((await phone.locator('.badge', { hasText: 'Låst' }).count()) > 10, 'later pages are marked as locked');

  step('a locked page is refused');
  const lockedPage = m4.pages.at(-1);
  await phone.goto(`${base}/modules/4/${lockedPage.slug}`);
  await expectHeading(phone, 'Siden er ikke åpnet ennå');
  await checkLayout(phone, 'locked page');
  await phone.getByRole('link', { name: 'Tilbake til læringsstien' }).click();
  await expectHeading(phone, 'Hei');

  step('the note cannot be submitted before the path is done');
  await (await menu(phone, 'Notat')).click();
  await expectHeading(phone, 'Refleksjonsnotat');
  const note = 'Som mentor vil jeg legge til rette for at kollegene mine selv finner svarene. '.repeat(5);
  await phone.getByLabel('Notatet ditt').fill(note);
  await phone.locator('#note-save', { hasText: 'Lagret' }).waitFor();
  await phone.getByRole('button', { name: 'Send inn notatet' }).click();
  await phone.getByRole('alert').filter({ hasText: 'når hele læringsstien er fullført' }).waitFor();
  await shoot(phone, 'note');

  step('module 1 is skipped');
  await (await menu(phone, 'Læringsstien')).click();
  await phone.getByRole('button', { name: 'Hopp over modul 1' }).click();
  await phone.getByRole('button', { name: 'Ja, hopp over modulen' }).click();
  await phone.locator('#module-1 .badge', { hasText: 'Hoppet over' }).waitFor();
  await phone.getByRole('link', { name: `Start: ${m2.pages[0].title}` }).waitFor();
  await shoot(phone, 'path');

  step('an answer saves while typing, survives a lost connection and a reload');
  await phone.getByRole('link', { name: `Start: ${m2.pages[0].title}` }).click();
  await expectHeading(phone, m2.pages[0].title);
  await shoot(phone, 'page');
  const answer = phone.locator('.reflection textarea').first();
  const answerStatus = phone.locator('.reflection .save-status').first();
  const parts = [
    'Jeg sa ja fordi jeg vil at kollegene mine skal bli tryggere hos døende beboere.',
    ' Jeg håper gruppen tør å dele det som var vanskelig.',
    ' Og at vi tar med oss noe nytt inn i avdelingen.',
  ];
  await answer.pressSequentially(parts[0], { delay: 5 });
  await answerStatus.filter({ hasText: 'Lagret kl.' }).waitFor();
  // The connection drops: the text stays, the status says so, and it is saved when it returns.
  await phone.context().setOffline(true);
  await answer.pressSequentially(parts[1], { delay: 5 });
  await answerStatus.filter({ hasText: 'ingen forbindelse' }).waitFor();
  await phone.context().setOffline(false);
  await answerStatus.filter({ hasText: 'Lagret kl.' }).waitFor();
  // The server cannot be reached and the page is reloaded: the text is still on the device,
  // and it is saved once the server answers again.
  const answersPut = (url) => url.pathname.includes('/answers/');
  await phone.route(answersPut, (route) => route.abort('internetdisconnected'));
  await answer.pressSequentially(parts[2], { delay: 5 });
  await answerStatus.filter({ hasText: 'ingen forbindelse' }).waitFor();
  await phone.reload();
  await expectHeading(phone, m2.pages[0].title);
  check(await answer.inputValue() === parts.join(''), `after a reload without a connection the answer reads: ${await answer.inputValue()}`);
  await phone.unroute(answersPut);
  await answerStatus.filter({ hasText: 'Lagret kl.' }).waitFor({ timeout: 40000 });
  await phone.reload();
  await expectHeading(phone, m2.pages[0].title);
  const reloaded = await answer.inputValue();
  check(reloaded === parts.join(''), `after the reload the answer reads: ${reloaded}`);
  const saved = (await apiGet(phone, '/me/answers')).find((a) => a.page_slug === m2.pages[0].slug);
  check(saved && saved.text === reloaded, 'the server has the answer');
  check(await phone.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('mentorsti.unsaved')).length) === 0,
    'nothing is left unsaved on the device');

  step('pages are completed in order, to the end of the path');
  const remaining = [...m2.pages, ...m3.pages, ...m4.pages];
  for (const [index, page] of remaining.entries()) {
    await expectHeading(phone, page.title);
    await checkLayout(phone, page.slug);
    const film = phone.locator('figure.film video');
    if (await film.count()) {
      const track = phone.locator('figure.film track');
      check(await track.getAttribute('srclang') === 'nb', 'the film has a Norwegian subtitle track');
      const vtt = await phone.request.get(new URL(await track.getAttribute('src'), base).href);
      check(vtt.ok() && (await vtt.text()).startsWith('WEBVTT'), 'the subtitle track loads as WebVTT');
    }
    const last = index === remaining.length - 1;
    await phone.getByRole('button', { name: last ? 'Fullført – tilbake til læringsstien' : 'Fullført – gå til neste side' }).click();
  }
  await expectHeading(phone, 'Hei');
  await phone.getByText('Du har fullført læringsstien').waitFor();
  await phone.locator('details.outcomes summary', { hasText: 'Dette lærer du' }).first().waitFor();

  // With the path done every page is open, and with it every film (module 1, skipped, has none).
  const films = await bundledFilms((path) => apiGet(phone, path));
  check(films.length === 6, `the course carries six films, not ${films.length}`);
  await checkFilms({ phone, desktop, base, films, check, audit, step, shots });
  await phone.goto(`${base}/path`);
  await expectHeading(phone, 'Hei');

  step('the note is found again, and submitted');
  await phone.getByRole('link', { name: 'Til refleksjonsnotatet' }).click();
  await expectHeading(phone, 'Refleksjonsnotat');
  check(await phone.getByLabel('Notatet ditt').inputValue() === note, 'the draft is kept');
  await phone.getByRole('button', { name: 'Send inn notatet' }).click();
  await phone.getByText('Notatet er sendt inn.').waitFor();
  check((await apiGet(phone, '/me/reflection-note')).status === 'submitted', 'the server has the submitted note');

  step('register for a webinar series and download the calendar');
  await phone.getByRole('link', { name: 'Se webinarseriene' }).click();
  await expectHeading(phone, 'Webinarer');
  const open = phone.getByRole('region', { name: 'Vinterens refleksjonsgruppe, Viken' });
  const full = phone.getByRole('region', { name: 'Vårens refleksjonsgruppe, Buskerud' });
  await full.getByText('Fullt. 0 på venteliste.').waitFor();
  await open.getByRole('button', { name: 'Meld meg på' }).click();
  await phone.getByRole('region', { name: 'Vinterens refleksjonsgruppe, Viken' }).getByText('Du er påmeldt denne serien.').waitFor();
  const [download] = await Promise.all([
    phone.waitForEvent('download'),
    phone.getByRole('button', { name: 'Last ned kalender (.ics)' }).click(),
  ]);
  const ics = readFileSync(await download.path(), 'utf8');
  check(ics.startsWith('BEGIN:VCALENDAR') && (ics.match(/BEGIN:VEVENT/g) || []).length === 3, 'the calendar has the three sessions');
  check((await apiGet(phone, '/me/webinars')).map((w) => w.status).join() === 'confirmed', 'the server has the registration');
  await shoot(phone, 'webinars');

  step('one upcoming series at a time; cancel, then join the waitlist of a full series');
  await full.getByRole('button', { name: 'Sett meg på ventelisten' }).click();
  await full.getByRole('alert').filter({ hasText: 'allerede påmeldt en kommende serie' }).waitFor();
  await open.getByRole('button', { name: 'Meld meg av' }).click();
  await open.getByRole('button', { name: 'Ja, meld meg av' }).click();
  await open.getByRole('button', { name: 'Meld meg på' }).waitFor();
  await full.getByRole('button', { name: 'Sett meg på ventelisten' }).click();
  await full.getByText('Du står som nummer 1 på ventelisten.').waitFor();
  await checkLayout(phone, 'webinars with a waitlist');
  const statuses = (await apiGet(phone, '/me/webinars')).map((w) => `${w.title}: ${w.status} ${w.position ?? ''}`.trim()).sort();
  check(statuses.join('|') === 'Vinterens refleksjonsgruppe, Viken: cancelled|Vårens refleksjonsgruppe, Buskerud: waitlisted 1',
    `the server has: ${statuses.join('|')}`);

  step('literature and certificate screens answer');
  await (await menu(phone, 'Litteratur')).click();
  await expectHeading(phone, 'Anbefalt litteratur');
  await checkLayout(phone, 'literature');
  await (await menu(phone, 'Kursbevis')).click();
  await phone.getByText('Du får kursbevis når').waitFor();
  await checkLayout(phone, 'certificate');

  if (process.env.COORDINATOR_EMAIL) {
    step("the coordinator screen shows a municipality's progress and its CSV");
    const signInAs = async (page) => {
      await page.goto(`${base}/sign-in`);
      await page.getByLabel('E-post').fill(process.env.COORDINATOR_EMAIL);
      await page.getByLabel('Passord', { exact: true }).fill(process.env.COORDINATOR_PASSWORD);
      await page.getByRole('button', { name: 'Logg inn' }).click();
      await expectHeading(page, 'Fremdrift');
      await page.locator('tbody tr').first().waitFor();
    };
    const coordinator = await newPage(PHONE, 'coordinator');
    await signInAs(coordinator);
    const municipalities = await coordinator.getByLabel('Kommune').locator('option').allTextContents();
    check(municipalities.length >= 2, `municipalities to choose from: ${municipalities.join(', ')}`);
    const firstName = municipalities[0].split(' (')[0];
    await coordinator.getByRole('table', { name: `Mentorer i ${firstName}` }).waitFor();
    check(await coordinator.locator('tbody tr').count() > 0, 'the table lists mentors');
    await checkLayout(coordinator, 'coordinator');
    if (shots) await coordinator.screenshot({ path: join(shots, 'coordinator-phone.png') });
    await coordinator.getByLabel('Kommune').selectOption({ index: 1 });
    const secondName = municipalities[1].split(' (')[0];
    await coordinator.getByRole('table', { name: `Mentorer i ${secondName}` }).waitFor();
    const [csv] = await Promise.all([
      coordinator.waitForEvent('download'),
      coordinator.getByRole('button', { name: 'Last ned som CSV' }).click(),
    ]);
    check(/^fremdrift-\d{4}\.csv$/.test(csv.suggestedFilename()), `the CSV is named ${csv.suggestedFilename()}`);
    const lines = readFileSync(await csv.path(), 'utf8').trim().split(/\r?\n/);
    check(lines.length > 1 && lines[0].includes(';'), `the CSV has a header and rows, separated by semicolons: ${lines[0]}`);
    if (shots) {
      const wide = await newPage(DESKTOP, 'coordinator desktop');
      await signInAs(wide);
      await checkLayout(wide, 'coordinator (desktop)');
      await wide.screenshot({ path: join(shots, 'coordinator-desktop.png') });
    }
  }

  step('sign out');
  await (await menu(phone, 'Logg ut', 'button')).click();
  await expectHeading(phone, 'Logg inn');
  check(await session(phone) === null, 'the tokens are gone from the device');
  check(await phone.evaluate(() => Object.keys(localStorage).length) === 0, 'nothing of the mentor is left on the device');

  if (process.env.SIGN_IN_LINK_TOKEN) {
    step('a sign-in link from mail signs in once, with a press of the button');
    await phone.getByRole('link', { name: 'Logg inn med en lenke på e-post' }).click();
    await expectHeading(phone, 'Logg inn med lenke');
    await checkLayout(phone, 'sign-in link request');
    await phone.getByLabel('E-post').fill('ingen.konto@example.no');
    await phone.getByRole('button', { name: 'Send lenke' }).click();
    await phone.getByText('Hvis det finnes en konto med denne adressen').waitFor();
    const link = `${base}/sign-in-link?token=${encodeURIComponent(process.env.SIGN_IN_LINK_TOKEN)}`;
    await phone.goto(link);
    await expectHeading(phone, 'Logg inn med lenke');
    await checkLayout(phone, 'sign-in link');
    await phone.getByRole('button', { name: 'Logg inn' }).focus();
    await phone.keyboard.press('Enter');
    await expectHeading(phone, 'Hei');
    await (await menu(phone, 'Logg ut', 'button')).click();
    await expectHeading(phone, 'Logg inn');
    await phone.goto(link);
    await phone.getByRole('button', { name: 'Logg inn' }).click();
    await phone.getByRole('alert').filter({ hasText: 'Lenken er allerede brukt' }).waitFor();
    await phone.goto(`${base}/sign-in`);
    await expectHeading(phone, 'Logg inn');
  }

  if (process.env.RESET_TOKEN) {
    step('the link in a password-reset email sets a new password');
    const newPassword = 'Nattevakten drikker te klokka tre';
    await phone.goto(`${base}/reset-password?token=${encodeURIComponent(process.env.RESET_TOKEN)}`);
    await expectHeading(phone, 'Lag nytt passord');
    await checkLayout(phone, 'reset password');
    await phone.getByLabel('Nytt passord', { exact: true }).fill(newPassword);
    await phone.getByLabel('Gjenta passordet').fill(`${newPassword}!`);
    await phone.getByRole('button', { name: 'Lagre nytt passord' }).click();
    await phone.getByRole('alert').filter({ hasText: 'De to passordene er ikke like.' }).waitFor();
    await phone.getByLabel('Gjenta passordet').fill(newPassword);
    await phone.getByRole('button', { name: 'Lagre nytt passord' }).click();
    await phone.getByText('Passordet er endret.').waitFor();
    await phone.getByRole('link', { name: 'Logg inn med det nye passordet' }).click();
    await expectHeading(phone, 'Logg inn');
    await phone.getByLabel('E-post').fill(email);
    await phone.getByLabel('Passord', { exact: true }).fill(newPassword);
    await phone.getByRole('button', { name: 'Logg inn' }).click();
    await expectHeading(phone, 'Hei');
  }

  if (process.env.INVITATION_TOKEN) {
    step("the link in an invitation email creates the mentor's account");
    const invited = await newPage(PHONE, 'invitation');
    await invited.goto(`${base}/invitation?token=${encodeURIComponent(process.env.INVITATION_TOKEN)}`);
    await expectHeading(invited, 'Velkommen som mentor');
    await checkLayout(invited, 'invitation');
    const chosen = 'Vi synger alltid for de som dør hos oss';
    await invited.getByLabel('Fullt navn').fill('Liv Moen');
    await invited.getByLabel('Nytt passord', { exact: true }).fill(chosen);
    await invited.getByLabel('Gjenta passordet').fill(chosen);
    await invited.getByRole('button', { name: 'Opprett konto' }).click();
    await expectHeading(invited, 'Hei, Liv');
    await invited.getByRole('link', { name: /^Start: / }).waitFor();
    step('an invitation cannot be used twice');
    const again = await newPage(PHONE, 'invitation again');
    await again.goto(`${base}/invitation?token=${encodeURIComponent(process.env.INVITATION_TOKEN)}`);
    await again.getByLabel('Fullt navn').fill('Liv Moen');
    await again.getByLabel('Nytt passord', { exact: true }).fill(chosen);
    await again.getByLabel('Gjenta passordet').fill(chosen);
    await again.getByRole('button', { name: 'Opprett konto' }).click();
    await again.getByRole('alert').filter({ hasText: 'Invitasjonen er allerede brukt.' }).waitFor();
  }

  check(problems.length === 0, `errors in the browser:\n${problems.join('\n')}`);
  if (shots && process.env.SCREENSHOT_DOCS) await renewScreenshots(shots, process.env.SCREENSHOT_DOCS);
  console.log('journey complete');
  await browser.close();
} catch (error) {
  console.error(`FAILED at "${current}": ${error.message}`);
  if (problems.length) console.error(`errors in the browser:\n${problems.join('\n')}`);
  await browser.close();
  process.exit(1);
}
