// Drives Debian's Chromium through a mentor's journey in the web client, against a real server:
// node journey.mjs <base-url> <email> <password>
// Environment: as harness.mjs, and
// RESET_TOKEN (a password-reset token from an email: end by choosing a new password with it),
// INVITATION_TOKEN (an invitation's token from an email: accept it and arrive on the path).
// Exits non-zero at the first step that fails, saying which.

import { readFileSync } from 'node:fs';
import {
  apiGet, DESKTOP, PHONE, audit, check, checkLayout, expectHeading, menu, newPage, shoot, shots, step, useDesktop, walk,
} from './harness.mjs';
import { bundledFilms, checkFilms } from './films.mjs';

const [base, email, password] = process.argv.slice(2);
if (!base || !email || !password) {
  console.error('usage: node journey.mjs <base-url> <email> <password>');
  process.exit(2);
}
const FIRST_SCREEN_LIMIT = 100 * 1024;

async function session(page) {
  return page.evaluate(() => JSON.parse(localStorage.getItem('mentorsti.session')));
}

async function signIn(page) {
  await page.goto(`${base}/sign-in`);
  await page.getByLabel('E-post').fill(email);
  await page.getByLabel('Passord', { exact: true }).fill(password);
  await page.getByLabel('Passord', { exact: true }).press('Enter');
  await page.locator('h1', { hasText: 'Hei' }).waitFor();
}

await walk(base, 'journey', async () => {
  step('the first screen loads under 100 KB transferred');
  const phone = await newPage(PHONE, 'phone');
  // Staff screens are modules of their own: a mentor's phone never fetches them.
  const staffModules = [];
  phone.on('request', (request) => {
    if (request.url().includes('/screens/staff/')) staffModules.push(request.url());
  });
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

  const desktop = await newPage(DESKTOP, 'desktop');
  useDesktop(desktop);
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
  check(await phone.getByRole('button', { name: 'Send inn notatet' }).isDisabled(), 'submitting waits for the path');
  await phone.locator('#note-submit-reason', { hasText: 'når hele læringsstien er fullført' }).waitFor();
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
  await full.getByText('allerede påmeldt en kommende serie').waitFor();
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

  check(staffModules.length === 0, `a mentor's phone fetched staff screens: ${staffModules.join(', ')}`);

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
    await expectHeading(phone, 'Velg nytt passord');
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
    await expectHeading(again, 'Invitasjonen er allerede brukt');
    await again.getByRole('link', { name: 'Logg inn', exact: true }).waitFor();
  }
});
