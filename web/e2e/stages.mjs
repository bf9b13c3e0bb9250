// The start page follows the mentor through the programme: one mentor at each stage, each
// seeing the tracker of the whole programme and the one next step that fits; and skipping
// module 1 after reading one page, which leaves all its pages open and the count without it.
// node stages.mjs <base-url> <password>, with the mentors' addresses in the environment:
// STAGE_NEW, STAGE_MID, STAGE_PATH_DONE, STAGE_NOTE_SUBMITTED, STAGE_IN_SERIES,
// STAGE_SESSION_NEAR (a session starting within the hour), STAGE_CERTIFICATE, STAGE_SKIPPER.

import {
  apiGet, check, DESKTOP, expectHeading, keyboardWalk, newPage, PHONE, shoot, signInWith, step, useDesktop, walk,
} from './harness.mjs';

const [base, password] = process.argv.slice(2);
const stage = (name) => {
  const email = process.env[name];
  if (!email) {
    console.error(`usage: ${name}=<email> … node stages.mjs <base-url> <password>`);
    process.exit(2);
  }
  return email;
};
if (!base || !password) {
  console.error('usage: node stages.mjs <base-url> <password>');
  process.exit(2);
}

/** A phone and a desktop page signed in as `email`, the desktop used by `shoot`. */
async function signedIn(email, label) {
  const phone = await newPage(PHONE, `${label} phone`);
  const desktop = await newPage(DESKTOP, `${label} desktop`);
  await signInWith(phone, base, email, password, 'Hei');
  await signInWith(desktop, base, email, password, 'Hei');
  useDesktop(desktop);
  return phone;
}

const nextStep = (page) => page.getByRole('region', { name: 'Neste steg' });
const programme = (page) => page.getByRole('region', { name: 'Hele opplæringen' });

/** The tracker's steps as "name: state" lines, and which one is the current step. */
async function trackerOf(page) {
  const steps = await programme(page).locator('li').evaluateAll((items) => items.map((li) => ({
    name: li.querySelector('.tracker-name').textContent,
    state: li.querySelector('.tracker-state').textContent,
    current: li.getAttribute('aria-current') === 'step',
  })));
  check(steps.length === 9, `the tracker has ${steps.length} steps, not 9 (modules 1–4, note, three webinars, certificate)`);
  return steps;
}

function expectStates(steps, expected, where) {
  for (const [index, state] of Object.entries(expected)) {
    const actual = steps[index];
    check(actual.state.startsWith(state), `${where}: step ${actual.name} reads "${actual.state}", not "${state}"`);
  }
}

const current = (steps) => steps.filter((s) => s.current).map((s) => s.name);

/** No stale advice: a mentor past the note and registration is not told to do them. */
async function notToldTo(page, where, texts) {
  const said = await nextStep(page).innerText();
  for (const text of texts) check(!said.includes(text), `${where}: the next step still says "${text}"`);
}

await walk(base, 'stages', async () => {
  step('a new mentor: the next step is the first page');
  let phone = await signedIn(stage('STAGE_NEW'), 'new');
  const path = await apiGet(phone, '/path');
  const [m1, m2] = path.modules;
  const allPages = path.modules.reduce((n, m) => n + m.pages.length, 0);
  await nextStep(phone).getByRole('link', { name: `Start: ${m1.pages[0].title}` }).waitFor();
  let steps = await trackerOf(phone);
  expectStates(steps, { 0: 'Klar', 1: 'Låst', 4: 'Ikke påbegynt', 5: 'Ikke påmeldt', 8: 'Ikke ennå' }, 'new');
  check(current(steps).join() === `Modul 1: ${m1.title}`, `new: the current step is ${current(steps)}`);
  await phone.getByText(`Du har fullført 0 av ${allPages} sider.`).waitFor();
  await shoot(phone, 'stages-new');
  await keyboardWalk(phone, 'start page, new mentor', [`Start: ${m1.pages[0].title}`, 'Hopp over modul 1']);

  step('mid-path: the next step is the page after the last one read');
  phone = await signedIn(stage('STAGE_MID'), 'mid');
  const mid = await apiGet(phone, '/path');
  await nextStep(phone).getByRole('link', { name: `Fortsett der du slapp: ${mid.resume.title}` }).waitFor();
  check(mid.pages_completed === 6 && mid.pages_counted === allPages, `mid: the API counts ${mid.pages_completed} of ${mid.pages_counted}`);
  await phone.getByText(`Du har fullført 6 av ${allPages} sider.`).waitFor();
  steps = await trackerOf(phone);
  expectStates(steps, { 0: 'Fullført', 1: 'Påbegynt', 2: 'Låst', 4: 'Ikke påbegynt' }, 'mid');
  check(current(steps).join() === `Modul 2: ${m2.title}`, `mid: the current step is ${current(steps)}`);
  await shoot(phone, 'stages-mid-path');

  step('the path done: the next step is the note');
  phone = await signedIn(stage('STAGE_PATH_DONE'), 'path done');
  await nextStep(phone).getByRole('link', { name: 'Skriv refleksjonsnotatet' }).waitFor();
  await phone.getByText(`Du har fullført læringsstien: ${allPages} av ${allPages} sider.`).waitFor();
  steps = await trackerOf(phone);
  expectStates(steps, { 0: 'Fullført', 3: 'Fullført', 4: 'Ikke påbegynt – du er her', 5: 'Ikke påmeldt' }, 'path done');
  await shoot(phone, 'stages-path-done');
  await keyboardWalk(phone, 'start page, path done', ['Skriv refleksjonsnotatet']);

  step('the note submitted: the next step is registering for a series');
  phone = await signedIn(stage('STAGE_NOTE_SUBMITTED'), 'note submitted');
  await nextStep(phone).getByRole('link', { name: 'Meld deg på en webinarserie' }).waitFor();
  await notToldTo(phone, 'note submitted', ['refleksjonsnotatet og send']);
  steps = await trackerOf(phone);
  expectStates(steps, { 4: 'Sendt inn', 5: 'Ikke påmeldt', 8: 'Ikke ennå' }, 'note submitted');
  await shoot(phone, 'stages-note-submitted');
  await nextStep(phone).getByRole('link', { name: 'Meld deg på en webinarserie' }).click();
  await expectHeading(phone, 'Webinarer');

  step('in a series: the next session with its time in Oslo, no join button yet');
  phone = await signedIn(stage('STAGE_IN_SERIES'), 'in series');
  const [series] = await apiGet(phone, '/me/webinars');
  const first = series.sessions[0];
  const when = await phone.evaluate((iso) => new Intl.DateTimeFormat('nb-NO', {
    timeZone: 'Europe/Oslo', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit',
  }).format(new Date(iso)), first.starts_at);
  await nextStep(phone).getByText(when).waitFor();
  await nextStep(phone).getByText(`«${series.title}»`).waitFor();
  check(await nextStep(phone).getByRole('link', { name: 'Bli med' }).count() === 0, 'in series: a join button ten days ahead');
  await nextStep(phone).getByText('Knappen for å bli med kommer her').waitFor();
  await notToldTo(phone, 'in series', ['Meld deg på', 'refleksjonsnotatet']);
  steps = await trackerOf(phone);
  expectStates(steps, { 4: 'Sendt inn', 8: 'Ikke ennå' }, 'in series');
  check(current(steps).join() === 'Webinar 1', `in series: the current step is ${current(steps)}`);
  check(!steps[6].state.includes('Ikke påmeldt'), `in series: webinar 2 reads "${steps[6].state}"`);
  await shoot(phone, 'stages-in-series');

  step('a session starting within the hour: the join button');
  phone = await signedIn(stage('STAGE_SESSION_NEAR'), 'session near');
  const [soon] = await apiGet(phone, '/me/webinars');
  const join = nextStep(phone).getByRole('link', { name: 'Bli med' });
  await join.waitFor();
  check(await join.getAttribute('href') === soon.sessions[0].join_url, `the join button leads to ${await join.getAttribute('href')}`);
  await notToldTo(phone, 'session near', ['Meld deg på', 'refleksjonsnotatet']);
  await shoot(phone, 'stages-session-near');
  await keyboardWalk(phone, 'start page, session near', ['Bli med', 'Se alle webinarene dine']);

  step('the certificate: the next step is to see it, nothing else is asked');
  phone = await signedIn(stage('STAGE_CERTIFICATE'), 'certificate');
  await nextStep(phone).getByRole('link', { name: 'Se kursbeviset' }).waitFor();
  await notToldTo(phone, 'certificate', ['Meld deg på', 'refleksjonsnotatet', 'Bli med']);
  steps = await trackerOf(phone);
  expectStates(steps, { 4: 'Sendt inn', 5: 'Deltatt', 6: 'Deltatt', 7: 'Deltatt', 8: 'Mottatt' }, 'certificate');
  check(current(steps).length === 0 && steps.every((s) => s.state !== 'Ikke ennå'), 'certificate: every step is done');
  await shoot(phone, 'stages-certificate');
  await nextStep(phone).getByRole('link', { name: 'Se kursbeviset' }).click();
  await expectHeading(phone, 'Kursbevis');
  await phone.locator('.certificate-name', { hasText: 'Randi Vik' }).waitFor();

  step('module 1 skipped after reading one page: it says what skipping means, then what happened');
  phone = await signedIn(stage('STAGE_SKIPPER'), 'skipper');
  await nextStep(phone).getByRole('link', { name: `Start: ${m1.pages[0].title}` }).click();
  await expectHeading(phone, m1.pages[0].title);
  await phone.getByRole('button', { name: 'Fullført – gå til neste side' }).click();
  await expectHeading(phone, m1.pages[1].title);
  await phone.getByRole('link', { name: 'Læringsstien' }).first().click();
  await expectHeading(phone, 'Hei');
  await phone.getByRole('button', { name: 'Hopp over modul 1' }).click();
  const question = phone.locator('.confirm-panel');
  for (const said of ['regnes da som fullført', 'modul 2 åpnes', 'Du kan ikke angre', 'fortsatt åpne']) {
    await question.getByText(said).waitFor();
  }
  await phone.getByRole('button', { name: 'Ja, hopp over modulen' }).click();
  const notice = phone.getByRole('status').filter({ hasText: 'Modul 2 er åpnet' });
  await notice.waitFor();
  check(await notice.evaluate((e) => e === document.activeElement), 'focus is on what happened after the skip');
  await phone.locator('#module-1 .badge', { hasText: 'Hoppet over' }).first().waitFor();
  await nextStep(phone).getByRole('link', { name: `Start: ${m2.pages[0].title}` }).waitFor();
  const skipped = await apiGet(phone, '/path');
  const counted = allPages - m1.pages.length;
  check(skipped.pages_counted === counted && skipped.pages_completed === 0,
    `after the skip the API counts ${skipped.pages_completed} of ${skipped.pages_counted}, not 0 of ${counted}`);
  check(skipped.modules[0].pages.every((p) => p.status !== 'locked'), 'every page of the skipped module is open');
  const left = skipped.modules.slice(1).reduce((n, m) => n + m.estimated_minutes, 0);
  check(skipped.minutes_left === left, `${skipped.minutes_left} minutes left, not ${left} (modules 2–4)`);
  const hours = await phone.evaluate(async (minutes) => {
    const app = document.querySelector('script[type="module"]').src;
    const { hours: format } = await import(new URL('screens/learning.js', app));
    return format(minutes);
  }, left);
  await phone.getByText(`Du har fullført 0 av ${counted} sider. Det er ${hours} igjen. Modul 1 er hoppet over og telles ikke med.`).waitFor();
  steps = await trackerOf(phone);
  expectStates(steps, { 0: 'Hoppet over', 1: 'Klar – du er her' }, 'skipped');
  await shoot(phone, 'stages-skipped');
  await keyboardWalk(phone, 'start page after the skip', [`Start: ${m2.pages[0].title}`, m1.pages[3].title]);

  step("the skipped module's pages 3 and 4 open");
  for (const page of m1.pages.slice(2)) {
    await phone.getByRole('region', { name: /^Modul 1:/ }).getByRole('link', { name: page.title }).click();
    await expectHeading(phone, page.title);
    await phone.getByRole('button', { name: /^Fullført – / }).waitFor();
    if (page === m1.pages[2]) {
      await shoot(phone, 'stages-skipped-page');
      await keyboardWalk(phone, 'a page of the skipped module', ['Fullført – gå til neste side']);
    }
    await phone.goBack();
    await expectHeading(phone, 'Hei');
  }
  await phone.getByText(`Du har fullført 0 av ${counted} sider.`).waitFor();
});
