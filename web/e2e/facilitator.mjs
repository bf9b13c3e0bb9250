// Drives Debian's Chromium through a facilitator's work in the web client, against a real
// server with the demo data: the series they lead, the running series' participants,
// attendance toggled with the keyboard and the mouse (saved, kept, corrected), and a note.
// node facilitator.mjs <base-url> <email> <password>
// Environment: as harness.mjs. Exits non-zero at the first step that fails, saying which.

import {
  apiGet, check, checkLayout, expectHeading, keyboardWalk, newPage, PHONE, shoot, step, walk,
} from './harness.mjs';

const [base, email, password] = process.argv.slice(2);
if (!base || !email || !password) {
  console.error('usage: node facilitator.mjs <base-url> <email> <password>');
  process.exit(2);
}
const RUNNING = 'Refleksjonsgruppe vinter';

async function signIn(page) {
  await page.goto(`${base}/sign-in`);
  await page.getByLabel('E-post').fill(email);
  await page.getByLabel('Passord', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Logg inn' }).click();
  await expectHeading(page, 'Webinarseriene dine');
}

await walk(base, 'facilitator', async () => {
  const phone = await newPage(PHONE, 'phone');

  step('the facilitator signs in and lands on their own start page');
  await signIn(phone);
  check(new URL(phone.url()).pathname === '/facilitator', `after signing in the address is ${phone.url()}`);
  const start = await phone.locator('main').innerText();
  check(!/av \d+ sider|læringsstien/i.test(start), 'the start page shows no learning path');
  check(await phone.getByRole('button', { name: /Meld meg på|venteliste/ }).count() === 0, 'no offer to register for a series');

  step('the series are listed by state, with their sessions in Oslo time and the seats taken');
  const led = await apiGet(phone, '/facilitator/series');
  const running = led.find((s) => s.title === RUNNING);
  check(led.length === 3 && running, `the facilitator leads three series, among them "${RUNNING}"`);
  const runningCard = phone.locator('section', { has: phone.getByRole('heading', { name: 'Pågår nå' }) })
    .locator('li.card', { hasText: RUNNING });
  await runningCard.waitFor();
  const cardText = await runningCard.innerText();
  check(cardText.includes(`${running.confirmed} av ${running.capacity} plasser tatt`), `the card says the seats taken: ${cardText}`);
  check(/Samling 1: (mandag|tirsdag|onsdag|torsdag|fredag|lørdag|søndag) \d{1,2}\. \p{L}+ \d{4} kl\. \d\d:\d\d–\d\d:\d\d/u.test(cardText),
    `sessions read as a Norwegian date and time span: ${cardText}`);
  check(/\(ferdig\)[\s\S]*\(ferdig\)[\s\S]*\(kommer\)/.test(cardText), `two sessions are done and one is ahead: ${cardText}`);
  await phone.locator('section', { has: phone.getByRole('heading', { name: 'Kommende' }) }).getByText('Refleksjonsgruppe vår').waitFor();
  await phone.locator('section', { has: phone.getByRole('heading', { name: 'Avsluttet' }) }).getByText('Refleksjonsgruppe høst (avsluttet)').waitFor();
  await shoot(phone, 'facilitator-series-list', signIn);
  await keyboardWalk(phone, 'series list', [RUNNING, 'Refleksjonsgruppe vår', 'Refleksjonsgruppe høst']);

  step('the running series shows its participants with municipality and note status');
  await phone.getByRole('link', { name: RUNNING }).click();
  await expectHeading(phone, RUNNING);
  const participants = await apiGet(phone, `/facilitator/series/${running.id}/participants`);
  check(participants.length === running.confirmed, 'the API lists the confirmed participants');
  const table = phone.locator('#fac-participants');
  check(await table.locator('tbody tr').count() === participants.length, 'one table row per participant');
  for (const p of participants) {
    const row = table.locator('tbody tr', { hasText: p.name });
    const text = await row.innerText();
    check(text.includes(p.municipality.name), `${p.name}'s row names the municipality: ${text}`);
    if (p.note_status === 'submitted') await row.getByRole('link', { name: `Les notatet til ${p.name}` }).waitFor();
    else check(text.includes('Ikke sendt inn'), `${p.name}'s row says the note is not submitted`);
  }
  const completed = participants.filter((p) => p.attendance.every((a) => a === true)).length;
  await phone.locator('#fac-completed', { hasText: `${completed} av ${participants.length} påmeldte` }).waitFor();

  step('attendance opens on the latest session begun, session 2');
  check(await phone.getByLabel(/Samling 2/).isChecked(), 'session 2 is chosen by default');
  // The phone's picture shows the toggles, what a facilitator uses during the webinar.
  await phone.locator('#fac-attendance-heading').evaluate((e) => e.scrollIntoView({ block: 'start', behavior: 'instant' }));
  await shoot(phone, 'facilitator-series', signIn);
  const who = participants.find((p) => p.attendance[1] === true);
  const stops = await keyboardWalk(phone, 'series', ['Webinarseriene dine', 'Samling 2', who.name, `Les notatet til ${who.name}`]);
  check(stops.findIndex((s) => s.includes('Samling 2')) < stops.findIndex((s) => s.includes(who.name)), 'the session choice comes before the toggles');

  const toggle = phone.getByRole('button', { name: who.name });
  const row = phone.locator('li.fac-row', { has: toggle });
  const attendedOnServer = async () => (await apiGet(phone, `/facilitator/series/${running.id}/participants`))
    .find((p) => p.user_id === who.user_id).attendance[1];
  const expectSaved = async (pressed, how) => {
    check(await toggle.getAttribute('aria-pressed') === String(pressed), `${how}: the toggle shows ${pressed}`);
    await row.getByRole('status').filter({ hasText: 'Lagret' }).waitFor();
    check(await attendedOnServer() === pressed, `${how}: the server has attended = ${pressed}`);
  };

  step('Space on a participant\'s toggle saves "not present" at once');
  check(await toggle.getAttribute('aria-pressed') === 'true', `${who.name} is marked present in session 2`);
  await toggle.focus();
  await phone.keyboard.press('Space');
  await expectSaved(false, 'Space');
  await row.getByText('Ikke til stede').waitFor();

  step('Enter marks them present again');
  await phone.keyboard.press('Enter');
  await expectSaved(true, 'Enter');

  step('a click corrects it, and a reload keeps it');
  await toggle.click();
  await expectSaved(false, 'click');
  await phone.reload();
  await expectHeading(phone, RUNNING);
  check(await phone.getByLabel(/Samling 2/).isChecked(), 'session 2 is still chosen after the reload');
  check(await toggle.getAttribute('aria-pressed') === 'false', 'after the reload the toggle still shows not present');
  const cell = phone.locator('#fac-participants tbody tr', { hasText: who.name }).locator('td').nth(4);
  check((await cell.innerText()).trim() === 'Ikke til stede', `the table says not present for session 2: ${await cell.innerText()}`);

  step('a save that fails puts the toggle back and says so');
  const attendancePut = (url) => url.pathname.endsWith('/attendance');
  await phone.route(attendancePut, (route) => route.abort('internetdisconnected'));
  await toggle.click();
  await row.getByRole('status').filter({ hasText: 'Ble ikke lagret' }).waitFor();
  check(await toggle.getAttribute('aria-pressed') === 'false', 'the toggle went back after the failed save');
  check(await attendedOnServer() === false, 'the server still has not present');
  await phone.unroute(attendancePut);

  step('the correction back is saved');
  await toggle.click();
  await expectSaved(true, 'correction');
  await phone.locator('#fac-participants tbody tr', { hasText: who.name }).locator('td').nth(4)
    .filter({ hasText: 'Til stede' }).waitFor();

  step('session 3 is ahead: its toggles are closed, saying when they open');
  await phone.getByLabel(/Samling 3/).check();
  await phone.getByText('Samling 3 har ikke startet ennå').waitFor();
  check(await phone.getByRole('button', { name: who.name }).isDisabled(), 'the toggles of a future session are disabled');
  check(new URL(phone.url()).searchParams.get('session') === '3', 'the chosen session is kept in the address');
  await checkLayout(phone, 'series, session 3');
  await phone.getByLabel(/Samling 1/).check();
  check(await phone.getByRole('button', { name: who.name }).isEnabled(), 'a past session stays open for corrections');

  step('a submitted note opens, saying that the read is recorded');
  await phone.getByRole('link', { name: `Les notatet til ${who.name}` }).click();
  await expectHeading(phone, `Refleksjonsnotat fra ${who.name}`);
  await phone.getByText('Lesingen er registrert. Mentoren kan se i sin tilgangslogg at du har lest notatet.').waitFor();
  const paragraphs = await phone.locator('article.fac-note p').allInnerTexts();
  check(paragraphs.length > 0 && paragraphs.join('').length >= 300, 'the note is shown as paragraphs of text');
  check(await phone.locator('article.fac-note *:not(p)').count() === 0, 'the note is plain text, no markup');
  await shoot(phone, 'facilitator-note', signIn);
  await keyboardWalk(phone, 'note', ['Webinarseriene dine', RUNNING, 'Tilbake til deltakerne']);

  step('a note that is not there is refused in words');
  await phone.goto(`${base}/facilitator/series/${running.id}/notes/00000000-0000-4000-8000-000000000000`);
  await expectHeading(phone, 'Notatet er ikke tilgjengelig');
  await checkLayout(phone, 'missing note');

  step('back to the series from the note');
  await phone.getByRole('link', { name: 'Tilbake til serien' }).click();
  await expectHeading(phone, RUNNING);
});
