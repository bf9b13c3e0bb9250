// A mentor works offline, against a real server set up by tests/api/browser_offline.rs:
// node offline.mjs <base-url> <email> <password>
// The mentor (module 1 not started) skips module 1 and reads two of its pages and the note
// while online, then goes offline (Chromium's offline mode, which also cuts the service
// worker's network), reloads (the app and the pages read still show), completes the two pages,
// answers the two questions of the first and writes a note draft; closes the page and opens it
// again (the writes wait in the outbox), and goes online: the outbox sends them, and the Rust
// side checks that the server has each exactly once. Then another device (a second browser
// context) changes the first answer and the mentor, writing on, meets the choice between the two
// versions: "Behold min" once, "Bruk den andre" the next time. A text typed just before the page
// was closed, restored after the other device wrote again, also meets the choice (it is not sent
// over the newer text). A text saved online is what the page shows when it is opened again
// offline, and writing on it offline is saved without a false conflict. Then signing out offline
// with an unsent change asks first (and removes it from the device), and a browser that stores
// nothing (storage full: IndexedDB and localStorage refuse) says the page must stay open, and
// still sends. Every new state (the save status, the offline banner, the conflict choice, the
// question before signing out, storage full) passes axe at 360 and 1280 px.
// The texts are the ones tests/api/browser_offline.rs looks for; the screenshots (`offline-*`)
// are the README's.

import { join } from 'node:path';
import {
  DESKTOP, PHONE, apiGet, audit, check, checkLayout, expectHeading, keyboardWalk, menu, newPage, shots, signInWith, step, walk,
} from './harness.mjs';


const [base, email, password] = process.argv.slice(2);
if (!base || !email || !password) {
  console.error('usage: node offline.mjs <base-url> <email> <password>');
  process.exit(2);
}

export const ANSWER_ONE = 'Jeg satt hos en pasient i hans siste timer, i kjelleren uten nett.';
export const ANSWER_TWO = 'Personalgruppen er usikker på samtalene med de pårørende.';
export const NOTE_DRAFT = 'Utkast skrevet i heisen: det jeg tar med meg er å lytte før jeg svarer.';
export const OTHER_DEVICE = 'Skrevet på nettbrettet på vaktrommet.';
export const MINE_KEPT = `${ANSWER_ONE} Og jeg lærte å være stille sammen med ham.`;
export const OTHER_AGAIN = 'Skrevet på nettbrettet igjen, og denne versjonen skal gjelde.';
export const UNSTORED = 'Skrevet der enheten ikke har plass: sendt fra siden som stod åpen.';
export const CLOSED_TOO_SOON = 'Skrevet på telefonen rett før siden ble lukket.';
export const OTHER_THIRD = 'Skrevet på nettbrettet en tredje gang, mens telefonen lå i lomma.';
export const SAVED_ONLINE = 'Personalgruppen vil øve på samtalene med de pårørende.';
export const WRITTEN_ON = `${SAVED_ONLINE} Skrevet videre uten nett.`;

/** The screen passes the harness's checks at phone and desktop width (the same page resized). */
async function bothWidths(page, name) {
  await page.setViewportSize(PHONE);
  await checkLayout(page, `${name} (360 px)`);
  if (shots) await page.screenshot({ path: join(shots, `offline-${name}-phone.png`) });
  await page.setViewportSize(DESKTOP);
  await checkLayout(page, `${name} (1280 px)`);
  if (shots) await page.screenshot({ path: join(shots, `offline-${name}-desktop.png`) });
  await page.setViewportSize(PHONE);
}

/** As `bothWidths`, for a modal dialog: axe only (the page behind it is inert). */
async function dialogBothWidths(page, name) {
  for (const [viewport, label] of [[PHONE, 'phone'], [DESKTOP, 'desktop']]) {
    await page.setViewportSize(viewport);
    await audit(page, `${name} (${viewport.width} px)`);
    const width = await page.evaluate(() => document.querySelector('dialog[open]').getBoundingClientRect().right);
    check(width <= viewport.width, `${name}: the dialog is wider than the ${viewport.width}px viewport`);
    if (shots) await page.screenshot({ path: join(shots, `offline-${name}-${label}.png`) });
  }
  await page.setViewportSize(PHONE);
}

const status = (page) => page.locator('main .outbox-status');
async function statusSays(page, text) {
  // "Alt er lagret." is the whole line (the warning about storage ends in "… alt er lagret.").
  const line = text === 'Alt er lagret.' ? page.locator('main .outbox-status[data-state="saved"]') : page.locator('main .outbox-status');
  await line.filter({ hasText: text }).waitFor();
}

/** The writes waiting in the page's outbox (what IndexedDB holds for the signed-in user). */
function stored(page) {
  return page.evaluate(() => new Promise((resolve, reject) => {
    const open = indexedDB.open('mentorsti-outbox');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains('writes')) return resolve([]);
      const all = db.transaction('writes').objectStore('writes').getAll();
      all.onsuccess = () => resolve(all.result.map((w) => ({ kind: w.kind, path: w.path, user: w.user })));
      all.onerror = () => reject(all.error);
      return undefined;
    };
  }));
}

const fieldFor = (page, question) => page.getByLabel(question);

/** The save line under a question's field. */
async function fieldStatus(page, question) {
  return page.locator(`#${await fieldFor(page, question).getAttribute('id')}-status`);
}

/** The typed copies kept in localStorage (texts not yet in the outbox). */
const typedCopies = (page) => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('mentorsti.unsaved:')).map((k) => localStorage.getItem(k)));

/** Waits until the service worker's kept copy of the user's answers holds `text`. */
async function keptAnswersHold(page, text) {
  await page.waitForFunction(async (wanted) => {
    for (const name of await caches.keys()) {
      if (!name.startsWith('mentorsti-api-')) continue;
      const cache = await caches.open(name);
      for (const request of await cache.keys()) {
        if (new URL(request.url).pathname !== '/api/v1/me/answers') continue;
        if ((await (await cache.match(request)).text()).includes(wanted)) return true;
      }
    }
    return false;
  }, text);
}

await walk(base, 'offline', async () => {
  step('a mentor signs in and the service worker takes the page');
  const phone = await newPage(PHONE, 'phone');
  const context = phone.context();
  await signInWith(phone, base, email, password, 'Hei');
  await phone.waitForFunction(() => navigator.serviceWorker?.controller);
  await statusSays(phone, 'Alt er lagret.');

  step('the mentor skips module 1 (online: the outbox sends it at once)');
  await phone.getByRole('button', { name: 'Hopp over modul 1' }).click();
  await phone.getByRole('button', { name: 'Ja, hopp over modulen' }).click();
  await phone.getByText('Modul 1 er hoppet over. Modul 2 er åpnet.').waitFor();
  check(!(await phone.getByText('Det lagres når nettet er tilbake.').count()), 'the skip was saved at once');
  const path = await apiGet(phone, '/path');
  check(path.modules[0].status === 'skipped', `module 1 is ${path.modules[0].status}`);
  const [first, second] = path.modules[0].pages;
  const firstPage = await apiGet(phone, `/modules/1/pages/${first.slug}`);
  const questions = firstPage.blocks.filter((b) => b.type === 'reflection').map((b) => b.question);
  check(questions.length >= 2, `the first page of module 1 has two reflection questions (${questions.length})`);

  step('the mentor reads the two pages and opens the note while online');
  for (const page of [first, second]) {
    await phone.goto(`${base}/modules/1/${page.slug}`);
    await expectHeading(phone, page.title);
    await phone.waitForLoadState('networkidle');
  }
  await phone.goto(`${base}/note`);
  await expectHeading(phone, 'Refleksjonsnotat');
  await phone.waitForLoadState('networkidle');
  await phone.goto(`${base}/path`);
  await expectHeading(phone, 'Hei');
  await phone.waitForLoadState('networkidle');

  step('offline: the network is cut, for the page and its service worker');
  await context.setOffline(true);
  const unseen = await phone.evaluate(() => fetch('/api/v1/literature').then((r) => r.status, () => 'failed'));
  check(unseen !== 200, 'a read the worker has not kept does not reach the server offline');

  step('offline, a reload still shows the app and the path, with the banner');
  await phone.reload();
  await expectHeading(phone, 'Hei');
  await phone.getByText('Får ikke kontakt med tjenesten.').waitFor();
  await statusSays(phone, 'Alt er lagret.');
  await bothWidths(phone, 'path-offline');

  step('offline, the mentor opens the first page, answers both questions and completes it');
  await phone.getByRole('link', { name: first.title }).click();
  await expectHeading(phone, first.title);
  await fieldFor(phone, questions[0]).fill(ANSWER_ONE);
  await fieldFor(phone, questions[1]).fill(ANSWER_TWO);
  await fieldFor(phone, questions[1]).blur();
  await phone.locator('.save-status', { hasText: 'Ikke sendt ennå: ingen forbindelse. Teksten er lagret på enheten og sendes når nettet er tilbake.' }).nth(1).waitFor();
  await phone.getByRole('button', { name: 'Fullført – gå til neste side' }).click();
  await phone.locator('.page-footer').getByText('lagres når nettet er tilbake').waitFor();
  await statusSays(phone, 'Ikke sendt ennå: 3 endringer lagres når nettet er tilbake.');
  await bothWidths(phone, 'page-pending');

  step('offline, the second page is completed too, and the path agrees');
  await phone.locator('.page-footer').getByRole('link', { name: `Neste: ${second.title}` }).click();
  await expectHeading(phone, second.title);
  await phone.getByRole('button', { name: /^Fullført –/ }).click();
  await phone.locator('.page-footer').getByText('lagres når nettet er tilbake').waitFor();
  await (await menu(phone, 'Læringsstien')).click();
  await expectHeading(phone, 'Hei');
  for (const page of [first, second]) {
    const item = phone.locator('li.page', { has: phone.getByRole('link', { name: page.title, exact: true }) });
    check((await item.innerText()).includes('Fullført'), `the path shows "${page.title}" completed`);
    check((await item.innerText()).includes('lagres når nettet er tilbake'), `the path says "${page.title}" is not saved yet`);
  }
  await statusSays(phone, 'Ikke sendt ennå: 4 endringer');

  step('offline, the mentor writes a note draft');
  await (await menu(phone, 'Notat')).click();
  await expectHeading(phone, 'Refleksjonsnotat');
  await phone.getByLabel('Notatet ditt').fill(NOTE_DRAFT);
  await phone.getByLabel('Notatet ditt').blur();
  await statusSays(phone, 'Ikke sendt ennå: 5 endringer lagres når nettet er tilbake.');
  await bothWidths(phone, 'note-pending');
  const waiting = await stored(phone);
  check(waiting.length === 5, `five writes wait on the device (${JSON.stringify(waiting)})`);

  step('the page is closed and opened again, still offline: nothing is lost');
  await phone.close();
  let again = await context.newPage();
  // Opened outside the harness's newPage: its script errors are collected here.
  const againErrors = [];
  const collectErrors = (page) => page.on('pageerror', (error) => againErrors.push(error.message));
  collectErrors(again);
  await again.goto(`${base}/modules/1/${first.slug}`);
  await expectHeading(again, first.title);
  check(await fieldFor(again, questions[0]).inputValue() === ANSWER_ONE, 'the first answer is still in its field');
  check(await fieldFor(again, questions[1]).inputValue() === ANSWER_TWO, 'the second answer is still in its field');
  await again.locator('.page-footer').getByText('lagres når nettet er tilbake').waitFor();
  await statusSays(again, 'Ikke sendt ennå: 5 endringer');

  step('online again: the outbox sends everything by itself');
  await context.setOffline(false);
  await statusSays(again, 'Alt er lagret.');
  check((await stored(again)).length === 0, 'nothing waits on the device any more');
  const answers = await apiGet(again, '/me/answers');
  const mine = (question) => answers.find((a) => a.question === question);
  check(mine(questions[0])?.text === ANSWER_ONE && mine(questions[0]).etag === '"r1"', `the first answer is saved once: ${JSON.stringify(mine(questions[0]))}`);
  check(mine(questions[1])?.text === ANSWER_TWO && mine(questions[1]).etag === '"r1"', `the second answer is saved once: ${JSON.stringify(mine(questions[1]))}`);
  const note = await apiGet(again, '/me/reflection-note');
  check(note.body === NOTE_DRAFT && note.status === 'draft' && note.etag === '"v1.1"', `the note draft is saved once: ${JSON.stringify(note)}`);
  const after = await apiGet(again, '/path');
  check(after.modules[0].pages.slice(0, 2).every((p) => p.status === 'completed'), 'both pages are completed on the server');

  step('another device changes the first answer');
  const tablet = await newPage(DESKTOP, 'tablet');
  await signInWith(tablet, base, email, password, 'Hei');
  await tablet.goto(`${base}/modules/1/${first.slug}`);
  await expectHeading(tablet, first.title);
  await fieldFor(tablet, questions[0]).fill(OTHER_DEVICE);
  await fieldFor(tablet, questions[0]).blur();
  await tablet.locator('.save-status', { hasText: 'Lagret kl.' }).first().waitFor();

  step('the mentor, still on the page read before, writes on and meets the choice of versions');
  await fieldFor(again, questions[0]).fill(MINE_KEPT);
  await fieldFor(again, questions[0]).blur();
  const dialog = again.getByRole('dialog', { name: 'Teksten er endret et annet sted' });
  await dialog.waitFor();
  const mineBox = dialog.getByRole('region', { name: 'Din versjon' });
  const theirsBox = dialog.getByRole('region', { name: 'Den andre versjonen' });
  check((await mineBox.innerText()).trim() === MINE_KEPT, 'the choice shows the mentor\'s version');
  check((await theirsBox.innerText()).trim() === OTHER_DEVICE, 'the choice shows the other device\'s version');
  check(/\d{2}[:.]\d{2}/.test(await dialog.locator('#conflict-mine-time').innerText()), 'the mentor\'s version has its time');
  check(/\d{2}[:.]\d{2}/.test(await dialog.locator('#conflict-theirs-time').innerText()), 'the other version has its time');
  check(await again.evaluate(() => document.activeElement?.textContent) === 'Behold min', 'focus moves into the choice');
  await dialogBothWidths(again, 'conflict');
  await keyboardWalk(again, 'the conflict choice', ['Behold min', 'Bruk den andre']);

  step('"Behold min" (with the keyboard) sends the mentor\'s text over the other version');
  await dialog.getByRole('button', { name: 'Behold min' }).focus();
  await again.keyboard.press('Enter');
  await dialog.waitFor({ state: 'detached' });
  check(await again.evaluate(() => document.activeElement?.tagName) === 'TEXTAREA', 'focus returns to the field');
  await statusSays(again, 'Alt er lagret.');
  await again.waitForFunction(([text]) => [...document.querySelectorAll('textarea')].some((t) => t.value === text), [MINE_KEPT]);
  const kept = (await apiGet(again, '/me/answers')).find((a) => a.question === questions[0]);
  check(kept.text === MINE_KEPT && kept.etag === '"r3"', `the mentor's version is saved over the other: ${JSON.stringify(kept)}`);

  step('the other device writes again; this time the mentor takes the other version');
  await tablet.reload();
  await expectHeading(tablet, first.title);
  check(await fieldFor(tablet, questions[0]).inputValue() === MINE_KEPT, 'the other device now reads the mentor\'s version');
  await fieldFor(tablet, questions[0]).fill(OTHER_AGAIN);
  await fieldFor(tablet, questions[0]).blur();
  await tablet.locator('.save-status', { hasText: 'Lagret kl.' }).first().waitFor();
  await fieldFor(again, questions[0]).fill(`${MINE_KEPT} Ett ord til.`);
  await fieldFor(again, questions[0]).blur();
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Bruk den andre' }).click();
  await dialog.waitFor({ state: 'detached' });
  check(await fieldFor(again, questions[0]).inputValue() === OTHER_AGAIN, 'the field now holds the other version');
  await statusSays(again, 'Alt er lagret.');
  // Nothing of the mentor's discarded words is left to be saved late: no timer, no copy, no entry.
  await (await fieldStatus(again, questions[0])).and(again.locator('[data-state="saved"]')).waitFor();
  check((await typedCopies(again)).length === 0 && (await stored(again)).length === 0, 'nothing of the discarded words waits');
  const taken = (await apiGet(again, '/me/answers')).find((a) => a.question === questions[0]);
  check(taken.text === OTHER_AGAIN && taken.etag === '"r4"', `the other version stays: ${JSON.stringify(taken)}`);

  step('a text typed just before the page closed, restored after the other device wrote again, meets the choice');
  await fieldFor(again, questions[0]).fill(CLOSED_TOO_SOON);
  // Closed before the pause in the typing put it in the outbox: only the typed copy has it.
  const copies = await typedCopies(again);
  check(copies.some((c) => c.includes(CLOSED_TOO_SOON)), `the typed text is kept on the device: ${copies}`);
  await again.close();
  await tablet.reload();
  await expectHeading(tablet, first.title);
  check(await fieldFor(tablet, questions[0]).inputValue() === OTHER_AGAIN, 'the other device reads the version taken');
  await fieldFor(tablet, questions[0]).fill(OTHER_THIRD);
  await fieldFor(tablet, questions[0]).blur();
  await tablet.locator('.save-status', { hasText: 'Lagret kl.' }).first().waitFor();
  again = await context.newPage();
  collectErrors(again);
  await again.goto(`${base}/modules/1/${first.slug}`);
  await expectHeading(again, first.title);
  const choice = again.getByRole('dialog', { name: 'Teksten er endret et annet sted' });
  await choice.waitFor();
  check((await choice.getByRole('region', { name: 'Din versjon' }).innerText()).trim() === CLOSED_TOO_SOON, 'the choice shows the copy typed before the page closed');
  check((await choice.getByRole('region', { name: 'Den andre versjonen' }).innerText()).trim() === OTHER_THIRD, 'the choice shows the other device\'s newer version');
  await choice.getByRole('button', { name: 'Bruk den andre' }).click();
  await choice.waitFor({ state: 'detached' });
  check(await fieldFor(again, questions[0]).inputValue() === OTHER_THIRD, 'the field holds the other device\'s version');
  await statusSays(again, 'Alt er lagret.');
  await (await fieldStatus(again, questions[0])).and(again.locator('[data-state="saved"]')).waitFor();
  const third = (await apiGet(again, '/me/answers')).find((a) => a.question === questions[0]);
  check(third.text === OTHER_THIRD && third.etag === '"r5"', `the restored copy did not overwrite the newer text: ${JSON.stringify(third)}`);
  await tablet.close();

  step('a text saved online is what the page shows offline, and writing on it meets no false conflict');
  await fieldFor(again, questions[1]).fill(SAVED_ONLINE);
  await fieldFor(again, questions[1]).blur();
  await (await fieldStatus(again, questions[1])).filter({ hasText: 'Lagret kl.' }).waitFor();
  await keptAnswersHold(again, SAVED_ONLINE);
  await context.setOffline(true);
  await again.reload();
  await expectHeading(again, first.title);
  check(await fieldFor(again, questions[1]).inputValue() === SAVED_ONLINE, 'offline, the field shows the text saved online');
  await fieldFor(again, questions[1]).fill(WRITTEN_ON);
  await fieldFor(again, questions[1]).blur();
  await statusSays(again, 'Ikke sendt ennå: 1 endring lagres når nettet er tilbake.');
  await context.setOffline(false);
  await statusSays(again, 'Alt er lagret.');
  check(!(await choice.count()), 'no conflict with the mentor\'s own saved text');
  const writtenOn = (await apiGet(again, '/me/answers')).find((a) => a.question === questions[1]);
  check(writtenOn.text === WRITTEN_ON && writtenOn.etag === '"r3"', `written on offline, saved: ${JSON.stringify(writtenOn)}`);

  step('signing out offline with an unsent change asks first');
  await context.setOffline(true);
  await fieldFor(again, questions[1]).fill(`${ANSWER_TWO} Ikke sendt.`);
  await fieldFor(again, questions[1]).blur();
  await statusSays(again, 'Ikke sendt ennå: 1 endring lagres når nettet er tilbake.');
  await (await menu(again, 'Logg ut', 'button')).click();
  const question = again.getByRole('dialog', { name: 'Noe er ikke lagret ennå' });
  await question.waitFor();
  await dialogBothWidths(again, 'sign-out');
  await question.getByRole('button', { name: 'Vent, ikke logg ut' }).click();
  await question.waitFor({ state: 'detached' });
  await expectHeading(again, first.title);
  check((await stored(again)).length === 1, 'waiting keeps the change on the device');
  await (await menu(again, 'Logg ut', 'button')).click();
  await question.getByRole('button', { name: 'Logg ut og slett endringene' }).click();
  await again.getByRole('button', { name: 'Logg inn' }).waitFor();
  check((await stored(again)).length === 0, 'signing out removed the unsent change from the device');
  check(!(await again.evaluate(() => Object.keys(localStorage).some((k) => k.startsWith('mentorsti.unsaved:')))), 'no typed text is left on the device');
  const keptForReading = await again.evaluate(async () => (await caches.keys()).filter((name) => name.startsWith('mentorsti-api-')));
  check(keptForReading.length === 0, `signing out removed the answers kept for reading: ${keptForReading}`);
  await context.setOffline(false);
  check((await status(again).count()) === 0, 'the sign-in screen has no save status');
  check(againErrors.length === 0, `errors in the reopened page: ${againErrors.join('; ')}`);

  step('where the device stores nothing (storage full), the screen says the page must stay open');
  const full = await newPage(PHONE, 'storage full');
  await full.context().addInitScript(() => {
    // As a full disk answers: every attempt to store a text is refused (the session, stored
    // when there was room, still fits).
    const quota = () => new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    indexedDB.open = () => { throw quota(); };
    const setItem = Storage.prototype.setItem;
    Storage.prototype.setItem = function store(key, value) {
      if (key.startsWith('mentorsti.unsaved:')) throw quota();
      return setItem.call(this, key, value);
    };
  });
  await signInWith(full, base, email, password, 'Hei');
  await full.goto(`${base}/modules/1/${first.slug}`);
  await expectHeading(full, first.title);
  await full.waitForLoadState('networkidle');
  await full.context().setOffline(true);
  await fieldFor(full, questions[1]).fill(UNSTORED);
  await fieldFor(full, questions[1]).blur();
  await statusSays(full, 'Endringene kan ikke lagres på denne enheten');
  await full.locator('.save-status', { hasText: 'Ikke lagret på enheten: la siden være åpen til teksten er sendt.' }).waitFor();
  // The screenshots show the line that says so, at the top.
  await full.evaluate(() => window.scrollTo(0, 0));
  await bothWidths(full, 'storage-full');
  await full.context().setOffline(false);
  await statusSays(full, 'Alt er lagret.');
  const unstored = (await apiGet(full, '/me/answers')).find((a) => a.question === questions[1]);
  check(unstored.text === UNSTORED, `what the page kept is saved: ${JSON.stringify(unstored)}`);

  step('a session whose refresh token has run out ends, also offline, and what was kept for reading goes');
  await full.context().setOffline(true);
  await full.evaluate(() => {
    const session = JSON.parse(localStorage.getItem('mentorsti.session'));
    if (!session.ends) throw new Error('the session does not say when it ends');
    localStorage.setItem('mentorsti.session', JSON.stringify({ ...session, ends: Date.now() - 1000 }));
  });
  await full.reload();
  await full.getByRole('button', { name: 'Logg inn' }).waitFor();
  await full.waitForFunction(async () => (await caches.keys()).every((name) => !name.startsWith('mentorsti-api-')));
  await full.context().setOffline(false);
});
