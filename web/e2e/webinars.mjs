// The webinars and note screens at each stage of module 5, against a real server set up by
// tests/api/browser_webinars.rs:
// node webinars.mjs <base-url> <password> <no-note email> <registered email> <finished email>
// - no note: path not done, no note; one open series, and one running (not offered).
// - registered: confirmed in a series whose first session starts within a quarter of an hour.
// - finished: attended all three sessions of a series that is over.
// Environment: as harness.mjs.

import { join } from 'node:path';
import {
  DESKTOP, PHONE, check, desktopPage, expectHeading, keyboardWalk, menu, newPage, shoot, shots, signInWith, step, useDesktop, walk,
} from './harness.mjs';

const [base, password, noNote, registered, finished] = process.argv.slice(2);
if (!base || !password || !noNote || !registered || !finished) {
  console.error('usage: node webinars.mjs <base-url> <password> <no-note email> <registered email> <finished email>');
  process.exit(2);
}
const OPEN = 'Vinterens refleksjonsgruppe, Viken';
const NEAR = 'Høstens refleksjonsgruppe, Asker';
const RUNNING = 'Sommerens refleksjonsgruppe, Lier';
const DONE = 'Vårens refleksjonsgruppe, Buskerud';

async function apiCall(page, method, path) {
  const { access } = await page.evaluate(() => JSON.parse(localStorage.getItem('mentorsti.session')));
  const response = await page.request.fetch(`${base}/api/v1${path}`, {
    method, headers: { authorization: `Bearer ${access}`, 'content-type': 'application/json' }, data: method === 'GET' ? undefined : {},
  });
  check(response.ok(), `${method} ${path} answered ${response.status()}`);
  return response.json();
}

/** A phone and a desktop page signed in as `email`; the desktop one is the one shoot() uses. */
async function signedIn(email) {
  const phone = await newPage(PHONE, `phone ${email}`);
  await signInWith(phone, base, email, password, 'Hei');
  const desktop = await newPage(DESKTOP, `desktop ${email}`);
  await signInWith(desktop, base, email, password, 'Hei');
  useDesktop(desktop);
  return phone;
}

async function openWebinars(phone) {
  await (await menu(phone, 'Webinarer')).click();
  await expectHeading(phone, 'Webinarer');
  await phone.getByRole('heading', { name: 'Kommende serier' }).waitFor();
}

/** Tabs through the screen on the phone and on the desktop. */
async function walkBoth(phone, where, expect) {
  await keyboardWalk(phone, where, expect);
  await keyboardWalk(desktopPage(), `${where} (desktop)`, expect);
}

const regions = (page, name) => page.getByRole('region', { name, exact: true });

await walk(base, 'webinars', async () => {
  step('a mentor without a submitted note sees why registering is not possible yet');
  const first = await signedIn(noNote);
  await openWebinars(first);
  const open = regions(first, OPEN);
  await open.getByText('Påmelding er ikke mulig ennå: du må først sende inn refleksjonsnotatet.').waitFor();
  check(await open.getByRole('button').count() === 0, 'no register button is offered without a note');
  const toNote = first.getByRole('region', { name: 'Kommende serier' }).getByRole('link', { name: 'Gå til refleksjonsnotatet' });
  check(await toNote.getAttribute('href') === '/note', 'the reason links to the note');
  await open.locator('time').first().waitFor();
  check(/kl\. \d\d:\d\d–\d\d:\d\d/.test(await open.locator('.sessions li').first().innerText()), 'each session shows its time');
  check(await regions(first, RUNNING).count() === 0, 'a series that has begun is not offered as upcoming');
  await first.getByText('Du er ikke påmeldt noen serie ennå.').waitFor();
  await shoot(first, 'webinars-closed');
  await walkBoth(first, 'webinars without a note', ['Gå til refleksjonsnotatet']);

  step('the note: submitting waits for the path, and the status follows the autosave');
  await toNote.click();
  await expectHeading(first, 'Refleksjonsnotat');
  const submit = first.getByRole('button', { name: 'Send inn notatet' });
  const reason = first.locator('#note-submit-reason');
  check(await submit.isDisabled(), 'submitting is disabled before the path is done');
  check((await reason.innerText()).includes('når hele læringsstien er fullført'), `the reason reads: ${await reason.innerText()}`);
  check(await submit.getAttribute('aria-describedby') === 'note-submit-reason', 'the button is described by its reason');
  check(await first.locator('#note-state').innerText() === 'Ikke påbegynt.', 'a new note is not begun');
  const text = 'Som mentor vil jeg la kollegene mine finne sine egne svar, og tåle stillheten før noen sier noe. ';
  await first.getByLabel('Notatet ditt').pressSequentially(text, { delay: 5 });
  await first.locator('#note-state', { hasText: 'Utkast lagret' }).waitFor();
  await first.locator('#note-save', { hasText: 'Lagret kl.' }).waitFor();
  check((await apiCall(first, 'GET', '/me/reflection-note')).status === 'draft', 'the server has the draft');
  await shoot(first, 'webinars-note-draft');
  await desktopPage().locator('#note-state', { hasText: 'Utkast lagret' }).waitFor();
  // The disabled button and its reason sit below the text: photographed where they are.
  for (const [page, size] of [[first, 'phone'], [desktopPage(), 'desktop']]) {
    const button = page.getByRole('button', { name: 'Send inn notatet' });
    check(await button.isDisabled(), `submitting is disabled on the ${size} too`);
    await button.scrollIntoViewIfNeeded();
    if (shots) await page.screenshot({ path: join(shots, `webinars-note-submit-${size}.png`) });
  }
  await walkBoth(first, 'note before the path is done', ['Notatet ditt', 'Fortsett på læringsstien']);

  step('finishing the path elsewhere enables submitting without a reload');
  const path = await apiCall(first, 'GET', '/path');
  await apiCall(first, 'POST', '/modules/1/skip');
  for (const module of path.modules.slice(1)) {
    for (const page of module.pages) await apiCall(first, 'PUT', `/modules/${module.number}/pages/${page.slug}/completion`);
  }
  // The mentor comes back to this window (from the tab where the path was finished).
  await first.evaluate(() => window.dispatchEvent(new Event('focus')));
  await first.waitForFunction(() => !document.querySelector('.note-submit button').disabled);
  check(await reason.isHidden(), 'the reason goes once submitting is possible');
  check(await first.locator('#note-state').innerText() === 'Utkast lagret, ikke sendt inn.', 'the status still says the draft is saved');

  step('a registered mentor sees the next session with its time and "Bli med"');
  const second = await signedIn(registered);
  await openWebinars(second);
  const near = regions(second, NEAR);
  check(await near.count() === 1, `"${NEAR}" is listed once, not ${await near.count()} times`);
  await near.getByText('Du er påmeldt denne serien.').waitFor();
  await near.locator('.badge', { hasText: 'Påmeldt' }).waitFor();
  const sessions = near.locator('.sessions li');
  check(await sessions.count() === 3, 'three sessions');
  const joinLink = sessions.nth(0).getByRole('link', { name: 'Bli med på samling 1' });
  check(await joinLink.getAttribute('href') === 'https://meet.example.no/asker-1', `"Bli med" leads to ${await joinLink.getAttribute('href')}`);
  await sessions.nth(0).getByText('Starter snart.').waitFor();
  check(await sessions.nth(1).getByRole('link').count() === 0, 'a later session has no join link yet');
  check(await sessions.nth(2).getByRole('link').count() === 0, 'nor the last');
  check(/kl\. \d\d:\d\d/.test(await sessions.nth(1).innerText()), 'the later session shows its time');
  check(await near.getByRole('button', { name: 'Meld meg av' }).count() === 1, 'cancelling is offered before the series begins');
  // Another upcoming series: why not, before tapping.
  await regions(second, OPEN).getByText('Du er allerede påmeldt en kommende serie.').waitFor();
  check(await regions(second, OPEN).getByRole('button').count() === 0, 'no register button while in another upcoming series');
  check(await regions(second, RUNNING).count() === 0, 'a running series is not offered');
  await shoot(second, 'webinars-running');
  await walkBoth(second, 'webinars with a session near', ['Bli med på samling 1', 'Meld meg av', 'Last ned kalender (.ics)']);

  step('a mentor whose series is over sees it once, as "Fullført"');
  const third = await signedIn(finished);
  await openWebinars(third);
  const done = regions(third, DONE);
  check(await done.count() === 1, `"${DONE}" is listed once, not ${await done.count()} times`);
  await done.locator('.badge', { hasText: 'Fullført' }).waitFor();
  check(await third.locator('.badge', { hasText: 'Påmeldt' }).count() === 0, 'nothing says "Påmeldt"');
  await done.getByText('Du har deltatt på alle samlingene i serien.').waitFor();
  check(await done.getByRole('link', { name: 'Bli med' }).count() === 0, 'no join links in a finished series');
  check(await done.getByText('– deltatt').count() === 3, 'all three sessions show as attended');
  check(await done.getByRole('button').count() === 0, 'nothing to cancel in a finished series');
  await regions(third, OPEN).getByRole('button', { name: 'Meld meg på' }).waitFor();
  await shoot(third, 'webinars-finished');
  await walkBoth(third, 'webinars with a finished series', ['Se kursbeviset', 'Meld meg på']);
  await done.getByRole('link', { name: 'Se kursbeviset' }).click();
  await expectHeading(third, 'Kursbevis');
  await third.locator('.certificate-name').waitFor();
});
