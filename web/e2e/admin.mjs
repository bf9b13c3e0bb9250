// Drives Debian's Chromium through an administrator's people work in the web client, against a
// real server with the demo data: the USHTs with their coordinators and coordinator
// invitations, a new USHT with an invited coordinator, an invitation sent again and one
// withdrawn, and a mentor made a facilitator, with the forms' refusals in bokmål.
// node admin.mjs <base-url> <email> <password>
// Environment: as harness.mjs. Exits non-zero at the first step that fails, saying which.

import {
  apiGet, check, expectHeading, keyboardWalk, menu, newPage, PHONE, shoot, step, walk,
} from './harness.mjs';

const [base, email, password] = process.argv.slice(2);
if (!base || !email || !password) {
  console.error('usage: node admin.mjs <base-url> <email> <password>');
  process.exit(2);
}
const DEMO_USHT = 'USHT Buskerud (demo)';
const NEW_USHT = 'USHT Agder';
const COORDINATOR = { name: 'Siri Koordinator', email: 'siri.koordinator@usht-agder.no' };
const DEMO_INVITEE = 'Nina Nykommer';

async function signIn(page) {
  await page.goto(`${base}/sign-in`);
  await page.getByLabel('E-post').fill(email);
  await page.getByLabel('Passord', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Logg inn' }).click();
  await expectHeading(page, 'USHT-er');
}

/** The form's message after submitting: there is one, it says `expected`, and it is bokmål. */
async function formError(scope, expected) {
  const alert = scope.getByRole('alert').filter({ hasText: expected });
  await alert.waitFor();
  const text = await alert.innerText();
  check(!/please|field|invalid|required|must/i.test(text), `the message is not in bokmål: ${text}`);
  return text;
}

await walk(base, 'admin', async () => {
  const phone = await newPage(PHONE, 'phone');

  step('the administrator signs in and lands on the USHTs, not a learning path');
  await signIn(phone);
  check(new URL(phone.url()).pathname === '/admin', `after signing in the address is ${phone.url()}`);
  const start = await phone.locator('main').innerText();
  check(!/av \d+ sider|læringsstien/i.test(start), 'the start page shows no learning path');

  step('the demo USHT shows its county, municipalities, coordinator and pending invitation');
  const ushts = await apiGet(phone, '/admin/ushts');
  const demo = ushts.find((u) => u.name === DEMO_USHT);
  check(demo, `the demo data has ${DEMO_USHT}`);
  const demoCard = phone.locator('section.adm-usht', { has: phone.getByRole('heading', { name: DEMO_USHT }) });
  const demoText = await demoCard.innerText();
  check(demoText.includes(`Fylke: Buskerud · ${demo.municipality_count} kommuner`), `the card gives county and municipalities: ${demoText}`);
  check(demoText.includes('Kari Koordinator') && demoText.includes('koordinator@demo.mentorsti.no'), `the card names the coordinator: ${demoText}`);
  const nina = demoCard.locator('li.adm-invitation', { hasText: DEMO_INVITEE });
  await nina.locator('.adm-status', { hasText: 'Venter' }).waitFor();

  step('creating a USHT: empty fields and a taken name are refused in bokmål');
  const newForm = phone.getByRole('form', { name: 'Ny USHT' });
  await newForm.getByRole('button', { name: 'Opprett USHT' }).click();
  await formError(newForm, 'Navn: Skriv inn navnet på USHT-en.');
  check(await phone.evaluate(() => document.activeElement.id) === 'usht-name', 'focus moves to the empty name');
  await newForm.getByLabel('Navn').fill(NEW_USHT);
  await newForm.getByRole('button', { name: 'Opprett USHT' }).click();
  await formError(newForm, 'Fylke: Skriv inn fylket.');
  await newForm.getByLabel('Navn').fill(DEMO_USHT);
  await newForm.getByLabel('Fylke').fill('Buskerud');
  await newForm.getByRole('button', { name: 'Opprett USHT' }).click();
  await formError(newForm, `Det finnes allerede en USHT som heter «${DEMO_USHT}»`);

  step(`"${NEW_USHT}" is created and listed`);
  await newForm.getByLabel('Navn').fill(NEW_USHT);
  await newForm.getByLabel('Fylke').fill('Agder');
  await newForm.getByRole('button', { name: 'Opprett USHT' }).click();
  await phone.getByRole('status').filter({ hasText: `USHT-en «${NEW_USHT}» er opprettet` }).waitFor();
  const agderCard = phone.locator('section.adm-usht', { has: phone.getByRole('heading', { name: NEW_USHT }) });
  check((await agderCard.innerText()).includes('Fylke: Agder · 0 kommuner'), 'the new USHT has its county and no municipalities');
  check(await phone.evaluate(() => document.activeElement.textContent) === NEW_USHT, 'focus is on the new USHT');
  const agder = (await apiGet(phone, '/admin/ushts')).find((u) => u.name === NEW_USHT);
  check(agder && agder.county === 'Agder', 'the server has the new USHT');

  step('inviting a coordinator: a missing name and a bad address are refused in bokmål');
  await agderCard.getByText('Inviter en koordinator', { exact: true }).click();
  const invite = agderCard.getByRole('form', { name: `Inviter en koordinator til ${NEW_USHT}` });
  await invite.getByRole('button', { name: 'Send invitasjon' }).click();
  await formError(invite, 'Navn: Skriv inn navnet til koordinatoren.');
  await invite.getByLabel('Navn').fill(COORDINATOR.name);
  await invite.getByLabel('E-post').fill('siri.koordinator@');
  await invite.getByRole('button', { name: 'Send invitasjon' }).click();
  await formError(invite, 'E-post: Skriv inn en gyldig e-postadresse');

  step(`${COORDINATOR.name} is invited and shown as pending`);
  await invite.getByLabel('E-post').fill(COORDINATOR.email);
  await invite.getByRole('button', { name: 'Send invitasjon' }).click();
  await agderCard.getByRole('status').filter({ hasText: `Invitasjonen er sendt til ${COORDINATOR.name}` }).waitFor();
  const siri = agderCard.locator('li.adm-invitation', { hasText: COORDINATOR.name });
  await siri.locator('.adm-status', { hasText: 'Venter' }).waitFor();
  check((await siri.innerText()).includes(COORDINATOR.email), 'the invitation shows the address');
  const [sent] = (await apiGet(phone, `/admin/invitations?usht_id=${agder.id}`)).items;
  check(sent && sent.email === COORDINATOR.email && sent.role === 'coordinator' && sent.status === 'pending', 'the server has the pending coordinator invitation');

  step('the same address cannot be invited twice, and the screen says why');
  await invite.getByLabel('Navn').fill(COORDINATOR.name);
  await invite.getByLabel('E-post').fill(COORDINATOR.email);
  await invite.getByRole('button', { name: 'Send invitasjon' }).click();
  await formError(invite, 'har allerede en åpen invitasjon');

  step('the invitation is sent again');
  await siri.getByRole('button', { name: `Send på nytt til ${COORDINATOR.name}` }).click();
  await siri.getByRole('status').filter({ hasText: `Invitasjonen er sendt på nytt til ${COORDINATOR.email}` }).waitFor();
  await siri.getByText('Sendt 2 ganger').waitFor();
  const [resent] = (await apiGet(phone, `/admin/invitations?usht_id=${agder.id}`)).items;
  check(resent.send_count === 2 && resent.status === 'pending', `the server sent it twice: ${JSON.stringify(resent)}`);

  await phone.evaluate(() => window.scrollTo(0, 0));
  await shoot(phone, 'admin-ushts', signIn);
  await keyboardWalk(phone, 'USHTs', [
    `Send på nytt til ${DEMO_INVITEE}`, `Trekk tilbake invitasjonen til ${DEMO_INVITEE}`,
    `Send på nytt til ${COORDINATOR.name}`, 'Inviter en koordinator', 'Navn', 'Fylke', 'Opprett USHT',
  ]);

  step(`the demo USHT's invitation to ${DEMO_INVITEE} is withdrawn`);
  await nina.getByRole('button', { name: `Trekk tilbake invitasjonen til ${DEMO_INVITEE}` }).click();
  await nina.getByText('Vil du trekke tilbake invitasjonen').waitFor();
  await nina.getByRole('button', { name: 'Ja, trekk tilbake' }).click();
  await nina.locator('.adm-status', { hasText: 'Trukket tilbake' }).waitFor();
  await nina.getByRole('status').filter({ hasText: `Invitasjonen til ${DEMO_INVITEE} er trukket tilbake` }).waitFor();
  check(await nina.getByRole('button').count() === 0, 'a withdrawn invitation offers nothing more');
  const left = (await apiGet(phone, `/admin/invitations?usht_id=${demo.id}`)).items;
  check(!left.some((i) => i.name === DEMO_INVITEE), 'the server has withdrawn it');
  await phone.reload();
  await expectHeading(phone, 'USHT-er');
  check(await demoCard.locator('li.adm-invitation', { hasText: DEMO_INVITEE }).count() === 0, 'after a reload the withdrawn invitation is gone');

  step('the users screen lists staff by role');
  await (await menu(phone, 'Brukere')).click();
  await expectHeading(phone, 'Brukere og roller');
  check(new URL(phone.url()).pathname === '/admin/users', `the address is ${phone.url()}`);
  await phone.locator('#staff-facilitator').getByText('Vera Veileder').waitFor();
  const coordinators = await phone.locator('#staff-coordinator').innerText();
  check(coordinators.includes('Kari Koordinator') && coordinators.includes(DEMO_USHT), `coordinators with their USHT: ${coordinators}`);
  const admins = await phone.locator('#staff-admin').innerText();
  check(admins.includes(email) && admins.includes('Deg selv'), `administrators, the signed-in one marked: ${admins}`);

  step('finding a person: an empty, a bad and an unknown address are answered in bokmål');
  const find = phone.getByRole('form', { name: 'Finn en person' });
  await find.getByRole('button', { name: 'Finn' }).click();
  await formError(find, 'Skriv inn e-postadressen.');
  await find.getByLabel('E-postadressen til personen').fill('kari@');
  await find.getByRole('button', { name: 'Finn' }).click();
  await formError(find, 'Skriv inn en gyldig e-postadresse');
  await find.getByLabel('E-postadressen til personen').fill('ingen.her@example.no');
  await find.getByRole('button', { name: 'Finn' }).click();
  await phone.getByRole('status').filter({ hasText: 'Fant ingen bruker med e-postadressen ingen.her@example.no' }).waitFor();

  step('one\'s own role cannot be changed, and the screen says so');
  await find.getByLabel('E-postadressen til personen').fill(email);
  await find.getByRole('button', { name: 'Finn' }).click();
  await phone.getByText('Dette er deg. Du kan ikke endre din egen rolle').waitFor();
  check(await phone.getByRole('button', { name: 'Endre rolle', exact: true }).count() === 0, 'no role change is offered for oneself');

  step('a demo mentor is found by address');
  const mentors = (await apiGet(phone, `/admin/ushts/${demo.id}/progress?limit=100`)).items;
  const mentor = mentors.find((m) => m.email.startsWith('kari.')) || mentors[0];
  await find.getByLabel('E-postadressen til personen').fill(mentor.email.toUpperCase());
  await find.getByRole('button', { name: 'Finn' }).click();
  const person = phone.locator('.adm-person');
  await person.getByRole('heading', { name: mentor.name }).waitFor();
  check((await person.innerText()).includes(`Nå: Mentor – ${mentor.municipality.name}`), `the person's role and place: ${await person.innerText()}`);

  step('a coordinator needs a USHT');
  await person.getByLabel('Koordinator').check();
  await person.getByLabel('USHT').waitFor();
  await person.getByRole('button', { name: 'Endre rolle', exact: true }).click();
  await formError(person, 'Velg hvilken USHT koordinatoren skal jobbe i.');

  await shoot(phone, 'admin-users', signIn);
  await keyboardWalk(phone, 'users', ['E-postadressen til personen', 'Finn', 'USHT', 'Endre rolle', 'Endre rollen til Vera Veileder']);

  step(`${mentor.name} is made a facilitator, after a confirmation`);
  await person.getByLabel('Veileder').check();
  check(await person.getByLabel('USHT').isHidden(), 'the USHT choice is only there for a coordinator');
  await person.getByRole('button', { name: 'Endre rolle', exact: true }).click();
  await person.getByText(`Gi ${mentor.name} rollen veileder?`).waitFor();
  await person.getByRole('button', { name: 'Ja, endre rollen' }).click();
  await phone.getByRole('status').filter({ hasText: `${mentor.name} er nå veileder` }).waitFor();
  await phone.locator('#staff-facilitator').getByText(mentor.email).waitFor();
  const [promoted] = await apiGet(phone, `/admin/users?email=${encodeURIComponent(mentor.email)}`);
  check(promoted && promoted.role === 'facilitator' && promoted.municipality_id === null, `the server has the new role: ${JSON.stringify(promoted)}`);
  const facilitators = await apiGet(phone, '/admin/users?role=facilitator');
  check(facilitators.some((f) => f.email === mentor.email), 'the new facilitator is among the facilitators');

  step('a member of staff is chosen straight from the list');
  await phone.getByRole('button', { name: 'Endre rollen til Vera Veileder' }).click();
  await person.getByRole('heading', { name: 'Vera Veileder' }).waitFor();
  check(await phone.evaluate(() => document.activeElement.textContent) === 'Vera Veileder', 'focus moves to the chosen person');
  check((await person.innerText()).includes('Nå: Veileder'), 'the chosen person\'s role is shown');
  check(await person.getByLabel('Veileder').isChecked(), 'the current role is the one chosen');

  step("an administrator follows up any USHT on the coordinators' screens, choosing the USHT");
  await (await menu(phone, 'Oversikt')).click();
  await expectHeading(phone, 'Oversikt');
  await phone.getByLabel('USHT', { exact: true }).selectOption(demo.id);
  await phone.getByRole('button', { name: 'Vis', exact: true }).click();
  await phone.waitForURL((url) => url.searchParams.get('usht') === demo.id);
  await phone.locator('#stage-table tbody tr').nth(3).waitFor();
  check(await phone.locator('#stage-table tbody tr').count() === demo.municipality_count, 'the chosen USHT\'s municipalities are shown');
  await phone.getByRole('link', { name: 'Se fremdriften' }).click();
  await expectHeading(phone, 'Fremdrift');
  await phone.locator('#progress tbody tr').first().waitFor();
  check(new URL(phone.url()).searchParams.get('usht') === demo.id, 'the USHT stays chosen');
  await shoot(phone, 'admin-follow-up', signIn);
});
