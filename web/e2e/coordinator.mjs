// Walks a USHT coordinator through the client against a real server with the demo data:
// node coordinator.mjs <base-url> <email> <password>
// The start page's charts and their tables, enrolling a municipality from the register,
// inviting mentors by pasting and from a CSV file (astrid.lie@, bjorn.dahl@ and cecilie.holm@
// asker.kommune.no: the Rust test then waits for their emails) and one in nynorsk (dagny.vik@),
// resending and withdrawing, the
// progress table with its filters, sorting, search and CSV, and a nudge with its preview.
// Environment: as harness.mjs.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  apiGet, check, DESKTOP, expectHeading, keyboardWalk, menu, newPage, PHONE, shoot, signInWith, step, walk,
} from './harness.mjs';

const [base, email, password] = process.argv.slice(2);
if (!base || !email || !password) {
  console.error('usage: node coordinator.mjs <base-url> <email> <password>');
  process.exit(2);
}
const signIn = (page) => signInWith(page, base, email, password, 'Oversikt');

const rowTexts = (page, table) => page.locator(`#${table} tbody tr`).evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent.trim())));

await walk(base, 'coordinator walk', async () => {
  step('a coordinator starts on the overview of the USHT, not on the learning path');
  const phone = await newPage(PHONE, 'coordinator');
  await signIn(phone);
  check(new URL(phone.url()).pathname === '/coordinator', `the start page is ${phone.url()}`);
  check(await phone.getByText(/av \d+ sider/).count() === 0, 'no learning-path progress on a coordinator\'s start page');
  const municipalities = (await apiGet(phone, '/admin/municipalities')).items;
  const rows = await rowTexts(phone, 'stage-table');
  check(rows.length === municipalities.length, `the stage table has ${rows.length} rows for ${municipalities.length} municipalities`);
  for (const m of municipalities) {
    const row = rows.find((r) => r[0] === m.name);
    const c = m.mentors;
    const expected = [c.pending_invitations, c.not_started, c.in_progress, c.path_completed, c.note_submitted, c.in_series, c.completed].map(String);
    check(row && row.slice(1, 8).join() === expected.join(), `${m.name}: the table says ${row?.slice(1).join()}, the API ${expected.join()}`);
  }
  check(rows.some((r) => Number(r[6]) > 0), 'some mentors are in a webinar series');
  await phone.getByRole('img', { name: /Mentorer etter trinn per kommune/ }).waitFor();
  await phone.getByRole('img', { name: /Hvor mange som har kommet minst så langt/ }).waitFor();
  const funnel = await rowTexts(phone, 'funnel-table');
  const everyone = municipalities.reduce((sum, m) => sum + m.mentors.total + m.mentors.pending_invitations, 0);
  check(Number(funnel[0][1]) === everyone, `the funnel starts at ${funnel[0][1]}, not ${everyone}`);
  for (let i = 1; i < funnel.length; i += 1) check(Number(funnel[i][1]) <= Number(funnel[i - 1][1]), 'the funnel narrows');
  await shoot(phone, 'coordinator-overview', signIn);
  await keyboardWalk(phone, 'overview', ['Meld inn en kommune', 'Inviter mentorer', 'Se fremdriften', 'Asker']);

  step('a municipality is enrolled from the register, and only from it');
  await (await menu(phone, 'Kommuner')).click();
  await expectHeading(phone, 'Kommuner');
  const enrol = phone.getByLabel('Kommune', { exact: true });
  await enrol.fill('Atlantis');
  await phone.getByRole('button', { name: 'Meld inn' }).click();
  await phone.getByRole('alert').filter({ hasText: 'Finner ikke «Atlantis» i kommuneregisteret' }).waitFor();
  await enrol.fill('3203');
  await phone.getByRole('button', { name: 'Meld inn' }).click();
  await phone.getByRole('alert').filter({ hasText: 'Asker er allerede meldt inn.' }).waitFor();
  await enrol.fill('Bærum');
  await enrol.press('Enter');
  await phone.getByRole('status').filter({ hasText: 'Bærum er meldt inn.' }).waitFor();
  const enrolled = (await apiGet(phone, '/admin/municipalities')).items;
  check(enrolled.some((m) => m.number === '3201' && m.name === 'Bærum'), 'the server has Bærum (3201)');
  check((await rowTexts(phone, 'enrolled')).some((r) => r[0] === 'Bærum'), 'Bærum is listed as enrolled');
  check(await phone.locator('#register option[value="3201 Bærum"]').count() === 0, 'Bærum is no longer offered');
  await phone.getByText('Statistisk sentralbyrå (SSB)').waitFor();
  await shoot(phone, 'coordinator-municipalities', signIn);
  await keyboardWalk(phone, 'municipalities', ['Kommune', 'Meld inn']);

  step('mentors are invited by pasting addresses, and every skipped line says why');
  const asker = enrolled.find((m) => m.number === '3203');
  await phone.goto(`${base}/coordinator/invitations?municipality=${asker.id}`);
  await expectHeading(phone, 'Invitasjoner');
  await phone.getByLabel('E-postadresser').fill('Astrid Lie <astrid.lie@asker.kommune.no>\nbjorn.dahl@asker.kommune.no\nikke-en-adresse');
  await phone.getByRole('button', { name: 'Send invitasjoner' }).click();
  const outcome = phone.locator('.outcome');
  await outcome.filter({ hasText: '2 invitasjoner er sendt.' }).waitFor();
  await outcome.filter({ hasText: 'ikke-en-adresse (nr. 3): ikke en gyldig e-postadresse' }).waitFor();

  step('… and from a CSV file');
  const dir = mkdtempSync(join(tmpdir(), 'invitees-'));
  const csv = join(dir, 'mentorer.csv');
  writeFileSync(csv, 'email,name\ncecilie.holm@asker.kommune.no,Cecilie Holm\nastrid.lie@asker.kommune.no,Astrid Lie\n');
  await phone.getByLabel('CSV-fil', { exact: true }).setInputFiles(csv);
  await phone.getByRole('button', { name: 'Last opp og send' }).click();
  await outcome.filter({ hasText: '1 invitasjon er sendt.' }).waitFor();
  await outcome.filter({ hasText: 'astrid.lie@asker.kommune.no (linje 3): er allerede invitert' }).waitFor();
  await phone.locator('#invitations tbody tr', { hasText: 'cecilie.holm@asker.kommune.no' }).waitFor();
  const listed = await rowTexts(phone, 'invitations');
  for (const address of ['astrid.lie@asker.kommune.no', 'bjorn.dahl@asker.kommune.no', 'cecilie.holm@asker.kommune.no']) {
    check(listed.some((r) => r[0] === address && r[2] === 'Venter'), `${address} is listed as pending`);
  }
  check(listed.some((r) => r[2] === 'Utløpt'), 'the demo\'s expired invitations are listed as expired');
  check(!listed.some((r) => r[0].includes('Nynorsk')), 'invitations in bokmål (the default) are not marked');

  step('… and one in nynorsk, marked so in the list');
  const paste = phone.locator('form', { has: phone.getByLabel('E-postadresser') });
  check(await paste.getByRole('radio', { name: 'Bokmål' }).isChecked(), 'an invitation is in bokmål unless nynorsk is chosen');
  await phone.getByLabel('E-postadresser').fill('Dagny Vik <dagny.vik@asker.kommune.no>');
  await paste.getByRole('group', { name: 'Skriftform for invitasjonen' }).getByRole('radio', { name: 'Nynorsk' }).check();
  await phone.getByRole('button', { name: 'Send invitasjoner' }).click();
  await outcome.filter({ hasText: 'dagny.vik@asker.kommune.no' }).filter({ hasText: '1 invitasjon er sendt.' }).waitFor();
  const dagny = phone.locator('#invitations tbody tr', { hasText: 'dagny.vik@asker.kommune.no' });
  await dagny.waitFor();
  check((await dagny.locator('th').innerText()).includes('Nynorsk'), 'the invitation in nynorsk says so in the list');
  const sentInNynorsk = (await apiGet(phone, `/admin/invitations?municipality_id=${asker.id}`)).items.find((i) => i.email === 'dagny.vik@asker.kommune.no');
  check(sentInNynorsk?.language === 'nn', `the server has the invitation in nynorsk: ${JSON.stringify(sentInNynorsk)}`);
  check(!(await rowTexts(phone, 'invitations')).some((r) => r[0].startsWith('astrid.lie@') && r[0].includes('Nynorsk')), 'the others stay unmarked');
  await shoot(phone, 'coordinator-invitations', signIn);
  await keyboardWalk(phone, 'invitations', ['E-postadresser', 'Send invitasjoner', 'CSV-fil', 'Vis invitasjoner', 'Send på nytt til']);

  step('an expired invitation is sent again, a pending one withdrawn');
  await phone.getByLabel('Vis invitasjoner').selectOption('expired');
  const only = (status) => phone.waitForFunction((text) => {
    const rows = [...document.querySelectorAll('#invitations tbody tr')];
    return rows.length > 0 && rows.every((r) => r.children[2].textContent.trim() === text);
  }, status);
  await only('Utløpt');
  const expired = (await rowTexts(phone, 'invitations'))[0][0];
  await phone.getByRole('button', { name: `Send på nytt til ${expired}` }).click();
  await phone.getByRole('status').filter({ hasText: `Invitasjonen er sendt på nytt til ${expired}.` }).waitFor();
  const resent = (await apiGet(phone, `/admin/invitations?municipality_id=${asker.id}`)).items.find((i) => i.email === expired);
  check(resent.status === 'pending' && resent.send_count === 2, `after resending: ${JSON.stringify(resent)}`);
  await phone.getByLabel('Vis invitasjoner').selectOption('pending');
  await only('Venter');
  const row = phone.locator('#invitations tbody tr', { hasText: 'bjorn.dahl@asker.kommune.no' });
  await row.getByRole('button', { name: 'Trekk tilbake' }).click();
  await row.getByRole('button', { name: 'Ja, trekk tilbake' }).click();
  await phone.getByRole('status').filter({ hasText: 'Invitasjonen til bjorn.dahl@asker.kommune.no er trukket tilbake.' }).waitFor();
  const open = (await apiGet(phone, `/admin/invitations?municipality_id=${asker.id}`)).items;
  check(!open.some((i) => i.email === 'bjorn.dahl@asker.kommune.no'), 'the withdrawn invitation is gone from the list');

  step('the progress table starts with the most recently active, and fits the screen');
  await (await menu(phone, 'Fremdrift')).click();
  await expectHeading(phone, 'Fremdrift');
  await phone.locator('#progress tbody tr').first().waitFor();
  const me = await apiGet(phone, '/me');
  const everyMentor = (await apiGet(phone, `/admin/ushts/${me.usht.id}/progress?limit=100`)).items;
  check(await phone.locator('#progress tbody tr').count() === everyMentor.length, 'every mentor of the USHT is listed');
  const newest = everyMentor.filter((m) => m.last_active_at).sort((a, b) => Date.parse(b.last_active_at) - Date.parse(a.last_active_at))[0];
  const first = (await rowTexts(phone, 'progress'))[0][0];
  const shownFirst = everyMentor.find((m) => first.startsWith(m.name));
  check(shownFirst?.last_active_at === newest.last_active_at, `the first row is ${first}, the most recently active is ${newest.name}`);
  // On a phone the table scrolls inside its frame, and the name stays in place.
  const region = phone.getByRole('region', { name: 'Mentorenes fremdrift' });
  const before = await phone.locator('#progress tbody th').first().boundingBox();
  await region.evaluate((e) => { e.scrollLeft = 400; });
  const after = await phone.locator('#progress tbody th').first().boundingBox();
  check(Math.abs(before.x - after.x) < 1, `the name column moved from ${before.x} to ${after.x} when the table scrolled`);
  await shoot(phone, 'coordinator-progress', signIn);
  const wide = await newPage(DESKTOP, 'coordinator desktop');
  await signIn(wide);
  await wide.goto(`${base}/coordinator/progress`);
  await wide.locator('#progress tbody tr').first().waitFor();
  const fits = await wide.getByRole('region', { name: 'Mentorenes fremdrift' }).evaluate((e) => e.scrollWidth <= e.clientWidth);
  check(fits, 'at 1280 px the whole progress table, "Sist aktiv" too, is visible without scrolling');
  await keyboardWalk(phone, 'progress', ['Kommune', 'Trinn', 'Søk på navn', 'Navn', 'Sist aktiv', 'Last ned som CSV']);

  step('filters, search and sorting');
  // Waits until the table shows `n` mentors, saying how many it shows if it never does.
  const waitRows = async (n, what) => {
    try {
      await phone.waitForFunction((count) => document.querySelectorAll('#progress tbody tr').length === count
        || (count === 0 && document.body.textContent.includes('Ingen mentorer passer')), n, { timeout: 5000 });
    } catch {
      throw new Error(`${what}: ${await phone.locator('#progress tbody tr').count()} rows shown, ${n} expected`);
    }
  };
  const lier = enrolled.find((m) => m.number === '3312');
  await phone.getByLabel('Kommune').selectOption(lier.id);
  await phone.getByLabel('Trinn').selectOption('in_progress');
  const inLier = (await apiGet(phone, `/admin/municipalities/${lier.id}/progress?stage=in_progress`)).items;
  await waitRows(inLier.length, 'Lier, in progress');
  check(new URL(phone.url()).searchParams.get('stage') === 'in_progress', 'the filters are kept in the address');
  await phone.getByLabel('Trinn').selectOption('');
  await phone.getByLabel('Inaktiv i minst', { exact: true }).fill('30');
  await phone.getByLabel('Inaktiv i minst', { exact: true }).press('Enter');
  await phone.getByLabel('Inaktiv i minst', { exact: true }).blur();
  const inactive = (await apiGet(phone, `/admin/municipalities/${lier.id}/progress?inactive_days=30`)).items;
  await waitRows(inactive.length, 'Lier, inactive for 30 days');
  await phone.getByLabel('Inaktiv i minst', { exact: true }).fill('');
  await phone.getByLabel('Inaktiv i minst', { exact: true }).blur();
  const lierAll = (await apiGet(phone, `/admin/municipalities/${lier.id}/progress`)).items;
  await waitRows(lierAll.length, 'all of Lier');
  const someone = lierAll[0].name.split(' ')[1];
  await phone.getByLabel('Søk på navn').fill(someone.toLowerCase());
  const matching = lierAll.filter((m) => m.name.toLowerCase().includes(someone.toLowerCase())).length;
  check(await phone.locator('#progress tbody tr').count() === matching, `searching "${someone}" shows ${matching}`);
  await phone.getByLabel('Søk på navn').fill('');
  await phone.getByRole('button', { name: 'Navn', exact: true }).click();
  const names = (await rowTexts(phone, 'progress')).map((r) => r[0]);
  const sorted = [...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase(), 'nb'));
  check(names.join() === sorted.join(), `sorted by name: ${names.slice(0, 3).join(', ')}`);
  check(await phone.locator('th[aria-sort="ascending"]').count() === 1, 'the sorted column says so');
  const certificates = lierAll.filter((m) => m.programme_completed).length;
  check((await rowTexts(phone, 'progress')).filter((r) => r[6] === 'Ja').length === certificates, 'certificates are shown');

  step('the CSV report, in Norwegian words or in codes');
  const [norwegian] = await Promise.all([phone.waitForEvent('download'), phone.getByRole('button', { name: 'Last ned som CSV' }).click()]);
  check(norwegian.suggestedFilename() === 'fremdrift-3312.csv', `the CSV is named ${norwegian.suggestedFilename()}`);
  const words = readFileSync(await norwegian.path(), 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/);
  check(words[0].includes(';') && /Navn/.test(words[0]), `Norwegian header: ${words[0]}`);
  check(words.length - 2 === lierAll.length, `the report has ${words.length - 2} rows for ${lierAll.length} mentors`);
  await phone.getByLabel('Format').selectOption('codes');
  const [codes] = await Promise.all([phone.waitForEvent('download'), phone.getByRole('button', { name: 'Last ned som CSV' }).click()]);
  const header = readFileSync(await codes.path(), 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/)[0];
  check(header.includes('sist_aktiv') && header !== words[0], `the header in codes: ${header}`);

  step('a nudge shows first whom it would reach, then reaches them once a week');
  await phone.getByLabel('Inaktiv i minst (dager)').fill('7');
  await phone.getByLabel('Inaktiv i minst (dager)').blur();
  const preview = await apiGet(phone, `/admin/municipalities/${lier.id}/nudges?inactive_days=7`);
  check(preview.would_nudge > 0, 'some mentors in Lier have been inactive for a week');
  await phone.getByText(`${preview.would_nudge} mentorer i Lier får en påminnelse nå.`).waitFor();
  await phone.getByRole('button', { name: `Send påminnelse til ${preview.would_nudge}` }).click();
  await phone.getByRole('status').filter({ hasText: `Påminnelse sendt til ${preview.would_nudge} mentorer.` }).waitFor();
  await phone.getByText(`${preview.would_nudge} fikk en påminnelse den siste uka og får ikke en til.`).waitFor();
});
