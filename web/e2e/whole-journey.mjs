// One mentor the whole way, from the invitation email to the certificate, on a phone (and each
// stage again on a PC): the closing walk of issue 17. The other walks cover each stage with a
// mentor of its own; this one follows a single account, so every screen sees what the screens
// before it left behind. Run in three parts by tests/api/browser_journey.rs, which moves the
// webinar series in time between them (the walk cannot move the clock):
// node whole-journey.mjs <base-url> <password> <stage>
// - before: accept the invitation, read the first page, skip module 1, finish the path (the
//   rest through the API, to keep the walk short), submit the note, register for the series.
// - near: the first session starts in ten minutes: the start page offers "Bli med".
// - after: all three sessions attended: the start page leads to the certificate, its diploma
//   downloads as a PDF, and its verification link shows name, programme and date.
// Environment: as harness.mjs, and INVITATION_TOKEN, INVITEE_EMAIL, INVITEE_NAME (the
// invitation as the coordinator sent it; for "before"), SERIES_TITLE, JOIN_URL (of the first
// session; for "near").

import { readFileSync } from 'node:fs';

import {
  PHONE, check, checkLayout, desktopPage, expectHeading, keyboardWalk, newPage, shoot, signInWith, step, walk,
} from './harness.mjs';

const [base, password, stage] = process.argv.slice(2);
if (!base || !password || !['before', 'near', 'after'].includes(stage)) {
  console.error('usage: node whole-journey.mjs <base-url> <password> before|near|after');
  process.exit(2);
}
const env = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`whole-journey.mjs ${stage} needs ${name} in the environment`);
    process.exit(2);
  }
  return value;
};
const email = env('INVITEE_EMAIL');
const name = env('INVITEE_NAME');
const firstName = name.split(' ')[0];
const seriesTitle = env('SERIES_TITLE');

async function apiCall(page, method, path, body) {
  const { access } = await page.evaluate(() => JSON.parse(localStorage.getItem('mentorsti.session')));
  const response = await page.request.fetch(`${base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${access}`, 'content-type': 'application/json' },
    data: method === 'GET' ? undefined : JSON.stringify(body ?? {}),
  });
  return response;
}
async function apiGet(page, path) {
  const response = await apiCall(page, 'GET', path);
  check(response.ok(), `GET ${path} answered ${response.status()}`);
  return response.json();
}

const signIn = (page) => signInWith(page, base, email, password, `Hei, ${firstName}`);
const nextStep = (page) => page.getByRole('region', { name: 'Neste steg' });

/** The tracker of the whole programme, as the states of its nine steps. */
async function tracker(page) {
  const steps = await page.getByRole('region', { name: 'Hele opplæringen' }).locator('li').evaluateAll((items) => items.map((li) => ({
    name: li.querySelector('.tracker-name').textContent,
    state: li.querySelector('.tracker-state').textContent,
    current: li.getAttribute('aria-current') === 'step',
  })));
  check(steps.length === 9, `the tracker has ${steps.length} steps, not 9`);
  return steps;
}
function expectStates(steps, expected, where) {
  for (const [index, state] of Object.entries(expected)) {
    check(steps[index].state.startsWith(state), `${where}: the tracker's "${steps[index].name}" reads "${steps[index].state}", not "${state}"`);
  }
}

async function startPage(page) {
  await page.goto(`${base}/`);
  await expectHeading(page, `Hei, ${firstName}`);
  await page.waitForLoadState('networkidle');
}

/** Completes every page left on the path through the API, in path order, as the API allows. */
async function finishPathThroughApi(page) {
  const path = await apiGet(page, '/path');
  for (const module of path.modules.filter((m) => !['completed', 'skipped'].includes(m.status))) {
    for (const p of module.pages.filter((x) => x.status !== 'completed')) {
      const url = `/modules/${module.number}/pages/${p.slug}/completion`;
      let response = await apiCall(page, 'PUT', url);
      if (!response.ok()) {
        // A page that asks for its reflection questions answered first: answer them, then again.
        const content = await apiGet(page, `/modules/${module.number}/pages/${p.slug}`);
        for (const block of content.blocks.filter((b) => b.type === 'reflection')) {
          const answered = await apiCall(page, 'PUT', `/modules/${module.number}/pages/${p.slug}/answers/${block.id}`,
            { text: 'Jeg vil lytte mer enn jeg snakker, og la gruppen finne sine egne svar.' });
          check(answered.ok(), `answering ${p.slug}/${block.id} answered ${answered.status()}`);
        }
        response = await apiCall(page, 'PUT', url);
      }
      check(response.ok(), `PUT ${url} answered ${response.status()}`);
    }
  }
}

async function before(phone) {
  step('the invitation link shows the address and the name the coordinator typed');
  await phone.goto(`${base}/invitation?token=${encodeURIComponent(env('INVITATION_TOKEN'))}`);
  await expectHeading(phone, 'Velkommen som mentor');
  check(await phone.getByLabel('E-post', { exact: true }).inputValue() === email, 'the form shows the address of the account');
  check(await phone.getByLabel('Fullt navn').inputValue() === name, 'the name the coordinator typed is filled in');
  await phone.getByText('som mentor i Asker kommune').waitFor();
  // The desktop opens the same link (checking it does not spend it); it signs in once the
  // account exists.
  await shoot(phone, 'whole-journey-invitation');
  await keyboardWalk(phone, 'invitation', ['Fullt navn', 'Nytt passord', 'Gjenta passordet', 'Opprett konto']);

  step('choosing a password and accepting welcomes the mentor on the start page');
  await phone.getByLabel('Nytt passord', { exact: true }).fill(password);
  await phone.getByLabel('Gjenta passordet').fill(password);
  await phone.getByRole('button', { name: 'Opprett konto' }).click();
  await expectHeading(phone, `Hei, ${firstName}`);
  check(new URL(phone.url()).pathname === '/', `after accepting the mentor is at ${phone.url()}`);
  await phone.getByRole('status').filter({ hasText: `Velkommen, ${firstName}! Kontoen din er klar` }).waitFor();
  const path = await apiGet(phone, '/path');
  const [m1, m2] = path.modules;
  const firstPage = m1.pages[0];
  const start = nextStep(phone).getByRole('link', { name: `Start: ${firstPage.title}` });
  await start.waitFor();
  let steps = await tracker(phone);
  expectStates(steps, { 0: 'Klar – du er her', 1: 'Låst', 4: 'Ikke påbegynt', 5: 'Ikke påmeldt', 8: 'Ikke ennå' }, 'new account');
  await signIn(desktopPage());
  await shoot(phone, 'whole-journey-start');
  await keyboardWalk(phone, 'start page', [`Start: ${firstPage.title}`, 'Hopp over modul 1']);

  step('the first page, opened from the next step and completed');
  await start.click();
  await expectHeading(phone, firstPage.title);
  await checkLayout(phone, 'first page');
  await phone.getByRole('button', { name: 'Fullført – gå til neste side' }).click();
  await expectHeading(phone, m1.pages[1].title);
  await phone.getByRole('link', { name: 'Læringsstien' }).first().click();
  await expectHeading(phone, `Hei, ${firstName}`);
  const allPages = path.pages_counted;
  await phone.getByText(`Du har fullført 1 av ${allPages} sider.`).waitFor();
  await nextStep(phone).getByRole('link', { name: `Fortsett der du slapp: ${m1.pages[1].title}` }).waitFor();
  steps = await tracker(phone);
  expectStates(steps, { 0: 'Påbegynt – du er her', 1: 'Låst' }, 'after the first page');

  step('module 1 is skipped: what it means is said first, what happened after');
  await phone.getByRole('button', { name: 'Hopp over modul 1' }).click();
  await phone.locator('.confirm-panel').getByText('Du kan ikke angre').waitFor();
  await phone.getByRole('button', { name: 'Ja, hopp over modulen' }).click();
  await phone.getByRole('status').filter({ hasText: 'Modul 2 er åpnet' }).waitFor();
  await nextStep(phone).getByRole('link', { name: `Start: ${m2.pages[0].title}` }).waitFor();
  steps = await tracker(phone);
  expectStates(steps, { 0: 'Hoppet over', 1: 'Klar – du er her' }, 'after the skip');

  step('the rest of the path (through the API, to keep the walk short): the next step is the note');
  await finishPathThroughApi(phone);
  await startPage(phone);
  const done = await apiGet(phone, '/path');
  check(done.completed, 'the server has the path done');
  await phone.getByText(`Du har fullført læringsstien: ${done.pages_completed} av ${done.pages_counted} sider.`).waitFor();
  const toNote = nextStep(phone).getByRole('link', { name: 'Skriv refleksjonsnotatet' });
  await toNote.waitFor();
  steps = await tracker(phone);
  expectStates(steps, { 0: 'Hoppet over', 1: 'Fullført', 3: 'Fullført', 4: 'Ikke påbegynt – du er her' }, 'path done');
  await shoot(phone, 'whole-journey-path-done');

  step('the note is written, saved as a draft and submitted');
  await toNote.click();
  await expectHeading(phone, 'Refleksjonsnotat');
  const note = 'Som mentor vil jeg legge til rette for at kollegene mine selv finner svarene, og lytte mer enn jeg snakker. '.repeat(4);
  await phone.getByLabel('Notatet ditt').fill(note);
  await phone.locator('#note-save', { hasText: 'Lagret' }).waitFor();
  await phone.locator('#note-state', { hasText: 'Utkast lagret' }).waitFor();
  const submit = phone.getByRole('button', { name: 'Send inn notatet' });
  check(await submit.isEnabled(), 'with the path done the note can be submitted');
  await submit.click();
  await phone.getByText('Notatet er sendt inn.').waitFor();
  await phone.locator('#note-state', { hasText: 'Sendt inn' }).waitFor();
  check((await apiGet(phone, '/me/reflection-note')).status === 'submitted', 'the server has the submitted note');
  await shoot(phone, 'whole-journey-note');

  step('the start page: the next step is registering');
  await startPage(phone);
  const toRegister = nextStep(phone).getByRole('link', { name: 'Meld deg på en webinarserie' });
  await toRegister.waitFor();
  steps = await tracker(phone);
  expectStates(steps, { 4: 'Sendt inn', 5: 'Ikke påmeldt', 8: 'Ikke ennå' }, 'note submitted');

  step('registering for the series on the webinars screen');
  await toRegister.click();
  await expectHeading(phone, 'Webinarer');
  const series = phone.getByRole('region', { name: seriesTitle, exact: true });
  await series.getByRole('button', { name: 'Meld meg på' }).click();
  await phone.getByRole('region', { name: seriesTitle, exact: true }).getByText('Du er påmeldt denne serien.').waitFor();
  check(await phone.getByRole('region', { name: seriesTitle, exact: true }).count() === 1, 'the series is listed once');
  const mine = await apiGet(phone, '/me/webinars');
  check(mine.length === 1 && mine[0].status === 'confirmed' && mine[0].title === seriesTitle, 'the server has the registration');
  await phone.getByRole('button', { name: 'Last ned kalender (.ics)' }).waitFor();
  await shoot(phone, 'whole-journey-registered');
  await keyboardWalk(phone, 'webinars, registered', ['Meld meg av', 'Last ned kalender (.ics)']);

  step('the start page: the next step is the first webinar, no join button yet');
  await startPage(phone);
  await nextStep(phone).getByText(`«${seriesTitle}»`).waitFor();
  check(await nextStep(phone).getByRole('link', { name: 'Bli med' }).count() === 0, 'no join button ten days ahead');
  steps = await tracker(phone);
  check(steps[5].current, `the current step is webinar 1, not ${steps.filter((s) => s.current).map((s) => s.name)}`);
}

async function near(phone) {
  step('the first session starts in ten minutes: the start page offers "Bli med"');
  await signIn(phone);
  const join = nextStep(phone).getByRole('link', { name: 'Bli med' });
  await join.waitFor();
  check(await join.getAttribute('href') === env('JOIN_URL'), `"Bli med" leads to ${await join.getAttribute('href')}`);
  await nextStep(phone).getByText(`Webinar 1 av 3 i «${seriesTitle}»`).waitFor();
  const steps = await tracker(phone);
  check(steps[5].current && steps[5].name === 'Webinar 1', 'the tracker is at webinar 1');
  await shoot(phone, 'whole-journey-session-near', signIn);
  await keyboardWalk(phone, 'start page, session near', ['Bli med', 'Se alle webinarene dine']);
}

async function after(phone) {
  step('all three sessions attended: the next step is the certificate');
  await signIn(phone);
  const toCertificate = nextStep(phone).getByRole('link', { name: 'Se kursbeviset' });
  await toCertificate.waitFor();
  const steps = await tracker(phone);
  expectStates(steps, { 0: 'Hoppet over', 1: 'Fullført', 4: 'Sendt inn', 5: 'Deltatt', 6: 'Deltatt', 7: 'Deltatt', 8: 'Mottatt' }, 'certificate');
  check(steps.every((s) => !s.current), 'with the certificate nothing is left to do');
  const said = await nextStep(phone).innerText();
  for (const stale of ['Meld deg på', 'refleksjonsnotatet', 'Bli med']) check(!said.includes(stale), `the next step still says "${stale}"`);
  await keyboardWalk(phone, 'start page, certificate', ['Se kursbeviset']);

  step('the certificate: name, programme and date');
  await toCertificate.click();
  await expectHeading(phone, 'Kursbevis');
  const certificate = await apiGet(phone, '/me/certificate');
  const card = phone.getByRole('region', { name: 'Kursbevis' });
  await card.locator('.certificate-name', { hasText: name }).waitFor();
  await card.getByText(`har fullført ${certificate.programme}.`).waitFor();
  await card.getByText(/^Fullført \d{1,2}\. [a-zæøå]+ \d{4}\.$/).waitFor();
  await card.locator('code', { hasText: certificate.verification_code }).waitFor();
  await shoot(phone, 'whole-journey-certificate', signIn);
  await keyboardWalk(phone, 'certificate', ['Last ned kursbeviset (PDF)', 'Skriv ut']);

  step('the diploma downloads as a PDF named after the code');
  const [diploma] = await Promise.all([
    phone.waitForEvent('download'),
    phone.getByRole('button', { name: 'Last ned kursbeviset (PDF)' }).click(),
  ]);
  check(diploma.suggestedFilename() === `kursbevis-${certificate.verification_code}.pdf`, `the diploma is saved as ${diploma.suggestedFilename()}`);
  check(readFileSync(await diploma.path()).subarray(0, 5).toString('latin1') === '%PDF-', 'the diploma is a PDF');

  step('its verification link opens a page of the client, not JSON');
  const href = await card.getByRole('link').getAttribute('href');
  check(href === certificate.verify_url, `the certificate links to ${href}`);
  const verify = new URL(href);
  check(verify.pathname === `/certificate/${certificate.verification_code}`, `the verification link is ${href}`);
  // The link names the public address (PUBLIC_BASE_URL); the test server is elsewhere.
  const visitor = await newPage(PHONE, 'verification');
  await visitor.goto(`${base}${verify.pathname}`);
  await expectHeading(visitor, 'Kursbeviset er ekte');
  const facts = visitor.locator('dl');
  await facts.getByText(name, { exact: true }).waitFor();
  await facts.getByText(certificate.programme, { exact: true }).waitFor();
  await facts.getByText(/^\d{1,2}\. [a-zæøå]+ \d{4}$/).waitFor();
  check(!/^\s*[{[]/.test(await visitor.locator('body').innerText()), 'no raw JSON on the verification page');
  await checkLayout(visitor, 'certificate verification');
}

await walk(base, `whole-journey (${stage})`, async () => {
  const phone = await newPage(PHONE, `phone ${stage}`);
  if (stage === 'before') await before(phone);
  else if (stage === 'near') await near(phone);
  else await after(phone);
});
