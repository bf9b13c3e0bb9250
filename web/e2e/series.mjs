// Drives Debian's Chromium through an administrator's work with webinar series, against a real
// server with the demo data: every series with its state, a new series entered in Oslo time on
// both sides of a change to summer time, the API's objections in bokmål, a session moved (the
// participants get an updated invitation) and a series cancelled.
// node series.mjs <base-url> <email> <password>
// Environment: as harness.mjs. Exits non-zero at the first step that fails, saying which.

import {
  apiGet, check, expectHeading, keyboardWalk, menu, newPage, PHONE, shoot, step, walk,
} from './harness.mjs';

const [base, email, password] = process.argv.slice(2);
if (!base || !email || !password) {
  console.error('usage: node series.mjs <base-url> <email> <password>');
  process.exit(2);
}
const RUNNING = 'Refleksjonsgruppe vinter';
const UPCOMING = 'Refleksjonsgruppe vår';
const FINISHED = 'Refleksjonsgruppe høst (avsluttet)';

async function signIn(page) {
  await page.goto(`${base}/sign-in`);
  await page.getByLabel('E-post').fill(email);
  await page.getByLabel('Passord', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Logg inn' }).click();
  await expectHeading(page, 'USHT-er');
}

const osloTime = (iso) => new Intl.DateTimeFormat('nb-NO', { timeZone: 'Europe/Oslo', hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
const osloDate = (ms) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Oslo' }).format(new Date(ms));
const sameInstant = (a, b) => Date.parse(a) === Date.parse(b);

await walk(base, 'series', async () => {
  const phone = await newPage(PHONE, 'phone');

  step('the administrator signs in and opens the webinar series from the menu');
  await signIn(phone);
  await (await menu(phone, 'Webinarserier')).click();
  await expectHeading(phone, 'Webinarserier');
  check(new URL(phone.url()).pathname === '/admin/series', `the menu led to ${phone.url()}`);

  step('every demo series is listed with its state, facilitator, sessions in Oslo time, seats and waitlist');
  const all = await apiGet(phone, '/admin/webinar-series');
  const expected = [[RUNNING, 'Pågår'], [UPCOMING, 'Kommende'], [FINISHED, 'Avsluttet']];
  for (const [title, state] of expected) {
    const series = all.find((s) => s.title === title);
    check(series, `the admin list has "${title}"`);
    const row = phone.locator('#series-table tbody tr', { has: phone.getByRole('link', { name: title, exact: true }) });
    const text = (await row.innerText()).replace(/\s+/g, ' ');
    check(text.includes(state), `"${title}" is shown as ${state}: ${text}`);
    check(text.includes('Vera Veileder'), `"${title}" shows its facilitator: ${text}`);
    const taken = series.capacity - series.seats_left;
    check(text.includes(`${taken} av ${series.capacity}`), `"${title}" shows ${taken} of ${series.capacity} seats taken: ${text}`);
    for (const session of series.sessions) {
      check(text.includes(`kl. ${osloTime(session.starts_at)}`), `"${title}" shows session ${session.number} at ${osloTime(session.starts_at)} Oslo time: ${text}`);
    }
  }
  const running = all.find((s) => s.title === RUNNING);
  check(running.capacity - running.seats_left > 0, 'the running series has participants');
  await shoot(phone, 'series-list', signIn);
  await keyboardWalk(phone, 'series list', ['Ny webinarserie', RUNNING, UPCOMING, FINISHED]);

  step('the client turns Oslo wall-clock time into the right UTC instant, also around summer time');
  const conversions = [
    ['2027-01-12', '13:00', '2027-01-12T12:00:00.000Z'],
    ['2027-04-07', '13:00', '2027-04-07T11:00:00.000Z'],
    ['2027-03-27', '23:30', '2027-03-27T22:30:00.000Z'],
    ['2027-03-28', '01:59', '2027-03-28T00:59:00.000Z'],
    ['2027-03-28', '03:00', '2027-03-28T01:00:00.000Z'],
    ['2027-10-30', '13:00', '2027-10-30T11:00:00.000Z'],
    ['2027-10-31', '13:00', '2027-10-31T12:00:00.000Z'],
    ['2027-12-31', '23:59', '2027-12-31T22:59:00.000Z'],
    ['2028-06-30', '00:00', '2028-06-29T22:00:00.000Z'],
  ];
  const converted = await phone.evaluate(async (cases) => {
    const app = document.querySelector('script[type="module"]').src;
    const { osloToUtc, utcToOslo } = await import(new URL('screens/staff/series.js', app));
    return cases.map(([date, time]) => {
      const utc = osloToUtc(date, time);
      return { utc, back: utcToOslo(utc) };
    });
  }, conversions);
  conversions.forEach(([date, time, utc], i) => {
    check(converted[i].utc === utc, `${date} ${time} in Oslo is ${utc}, the client said ${converted[i].utc}`);
    check(converted[i].back.date === date && converted[i].back.time === time, `${utc} reads back as ${date} ${time}, not ${JSON.stringify(converted[i].back)}`);
  });

  step('a new series: the form asks for what is missing, in bokmål');
  await phone.getByRole('link', { name: 'Ny webinarserie' }).click();
  await expectHeading(phone, 'Ny webinarserie');
  await phone.getByRole('button', { name: 'Opprett serien' }).click();
  const problems = phone.getByRole('alert');
  await problems.filter({ hasText: 'Skriv inn en tittel.' }).waitFor();
  const missing = await problems.innerText();
  check(missing.includes('Velg hvem som skal lede serien.'), `a missing facilitator is named: ${missing}`);
  check(missing.includes('Samling 1: velg dato og klokkeslett.'), `a missing session time is named: ${missing}`);
  check(await phone.locator('#title').getAttribute('aria-invalid') === 'true', 'the title is marked invalid');
  check(await phone.evaluate(() => document.activeElement.id) === 'title', 'focus goes to the first field to put right');

  step('a session in the past and sessions out of order: the API says no, the screen says why in bokmål');
  const year = new Date().getFullYear() + 1;
  const title = `Refleksjonsgruppe Drammen ${year}`;
  await phone.getByLabel('Tittel').fill(title);
  await phone.getByLabel('Veileder').selectOption({ label: 'Vera Veileder' });
  await phone.getByLabel('Antall plasser').fill('10');
  const fillSession = async (n, date, time, url = `https://meet.example.no/drammen-${n}`) => {
    await phone.locator(`#s${n}-date`).fill(date);
    await phone.locator(`#s${n}-time`).fill(time);
    await phone.locator(`#s${n}-url`).fill(url);
  };
  const yesterday = osloDate(Date.now() - 24 * 3600 * 1000);
  await fillSession(1, yesterday, '13:00');
  await fillSession(2, `${year}-04-07`, '13:00');
  await fillSession(3, `${year}-03-10`, '13:00');
  check(await phone.locator('#s1-duration').inputValue() === '120', 'a session lasts 120 minutes unless told otherwise');
  await phone.getByRole('button', { name: 'Opprett serien' }).click();
  await problems.filter({ hasText: 'Samling 1 må ligge fram i tid' }).waitFor();
  const refused = await problems.innerText();
  check(refused.includes('Samling 3 må begynne etter at samling 2 er slutt'), `sessions out of order are named: ${refused}`);
  check(!/must|future|order|sessions\[/.test(refused), `no English from the API reaches the screen: ${refused}`);
  const beside = await phone.locator('#s1-date-error').innerText();
  check(beside.includes('fram i tid'), `the error stands beside session 1's date: ${beside}`);
  await shoot(phone, 'series-new', signIn);
  await keyboardWalk(phone, 'new series', ['Tittel', 'Veileder', 'Antall plasser', 'Dato', 'Klokkeslett', 'Varighet i minutter', 'Lenke til møtet', 'Opprett serien']);

  step('the series is created with sessions at 13:00 Oslo time before and after the change to summer time');
  await fillSession(1, `${year}-03-10`, '13:00');
  await fillSession(2, `${year}-04-07`, '13:00');
  await fillSession(3, `${year}-04-28`, '13:00');
  await phone.locator('#deadline-date').fill(`${year}-03-01`);
  await phone.locator('#deadline-time').fill('12:00');
  await phone.getByRole('button', { name: 'Opprett serien' }).click();
  await expectHeading(phone, title);
  await phone.getByRole('status').filter({ hasText: 'er opprettet' }).waitFor();
  const createdId = new URL(phone.url()).pathname.split('/').pop();
  const created = await apiGet(phone, `/admin/webinar-series/${createdId}`);
  const utc = [`${year}-03-10T12:00:00Z`, `${year}-04-07T11:00:00Z`, `${year}-04-28T11:00:00Z`];
  created.sessions.forEach((s, i) => check(sameInstant(s.starts_at, utc[i]), `session ${i + 1} starts at ${utc[i]} (winter 12:00Z, summer 11:00Z), not ${s.starts_at}`));
  check(created.sessions.every((s) => s.duration_minutes === 120), 'the sessions last 120 minutes');
  check(sameInstant(created.registration_deadline, `${year}-03-01T11:00:00Z`), `the deadline is 12:00 Oslo time: ${created.registration_deadline}`);
  check(created.facilitator.name === 'Vera Veileder' && created.capacity === 10, 'the facilitator and capacity are as chosen');

  step('moving the running series\' next session tells its participants');
  await (await menu(phone, 'Webinarserier')).click();
  await expectHeading(phone, 'Webinarserier');
  await phone.locator(`#series-table a[href="/admin/series/${createdId}"]`).waitFor();
  await phone.getByRole('link', { name: RUNNING, exact: true }).click();
  await expectHeading(phone, RUNNING);
  check(await phone.locator('#s1-date').isDisabled() && await phone.locator('#s2-date').isDisabled(), 'the sessions already held cannot be moved');
  const third = running.sessions[2];
  const moved = new Date(Date.parse(third.starts_at) + 3600 * 1000).toISOString();
  await phone.locator('#s3-time').fill(osloTime(moved));
  await phone.getByRole('button', { name: 'Lagre endringene' }).click();
  const taken = running.capacity - running.seats_left;
  const saved = phone.getByRole('status').filter({ hasText: 'Endringen er lagret.' });
  await saved.waitFor();
  const savedText = await saved.innerText();
  check(savedText.includes(`${taken} deltakere får oppdatert kalenderinvitasjon`), `the screen says who is told: ${savedText}`);
  const after = await apiGet(phone, `/admin/webinar-series/${running.id}`);
  check(sameInstant(after.sessions[2].starts_at, moved), `session 3 moved to ${moved}: ${after.sessions[2].starts_at}`);
  check(after.sessions.slice(0, 2).every((s, i) => sameInstant(s.starts_at, running.sessions[i].starts_at)), 'the sessions held stay where they were');
  check(await phone.locator('#s3-time').inputValue() === osloTime(moved), 'the form shows the new time');
  await shoot(phone, 'series-edit', signIn);
  await keyboardWalk(phone, 'edit series', ['Til webinarseriene', 'Tittel', 'Veileder', 'Klokkeslett', 'Lenke til møtet', 'Lagre endringene', 'Avlys serien']);

  step('a capacity below the seats taken is refused in bokmål');
  await phone.getByLabel('Antall plasser').fill(String(Math.max(1, taken - 1)));
  await phone.getByRole('button', { name: 'Lagre endringene' }).click();
  const tooFew = await problems.filter({ hasText: 'Antall plasser' }).innerText();
  check(tooFew.includes(`lavere enn antall påmeldte (${taken})`), `the refusal names the seats taken: ${tooFew}`);
  await phone.getByLabel('Antall plasser').fill(String(running.capacity));

  step('cancelling asks first, and says the participants will be told');
  await phone.getByRole('button', { name: 'Avlys serien' }).click();
  const question = await phone.locator('.confirm-panel').innerText();
  check(question.includes(`${taken} deltakere som er påmeldt`) && question.includes('får beskjed på e-post'), `the question says who is told: ${question}`);
  await phone.locator('.confirm-panel').getByRole('button', { name: 'Avbryt' }).click();
  check(await phone.locator('.confirm-panel').isHidden(), 'Avbryt folds the question away');
  check(!(await apiGet(phone, `/admin/webinar-series/${running.id}`)).cancelled, 'nothing was cancelled');

  step('the new series is cancelled after the confirmation');
  await phone.goto(`${base}/admin/series/${createdId}`);
  await expectHeading(phone, title);
  await phone.getByRole('button', { name: 'Avlys serien' }).click();
  await phone.getByRole('button', { name: 'Ja, avlys serien' }).click();
  await phone.getByRole('status').filter({ hasText: 'Serien er avlyst.' }).waitFor();
  check(await phone.getByRole('button', { name: 'Lagre endringene' }).count() === 0, 'a cancelled series has no form');
  check((await apiGet(phone, `/admin/webinar-series/${createdId}`)).cancelled, 'the API says the series is cancelled');
  await phone.getByRole('link', { name: 'Til webinarseriene' }).click();
  await expectHeading(phone, 'Webinarserier');
  const cancelledRow = await phone.locator('#series-table tbody tr', { has: phone.locator(`a[href="/admin/series/${createdId}"]`) }).innerText();
  check(cancelledRow.includes('Avlyst'), `the list shows the series as cancelled: ${cancelledRow}`);

  step('an unknown series is a clear message, not an error');
  await phone.goto(`${base}/admin/series/00000000-0000-4000-8000-000000000000`);
  await expectHeading(phone, 'Fant ikke serien');
});
