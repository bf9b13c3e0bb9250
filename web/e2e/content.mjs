// Drives Debian's Chromium through an administrator's work on the course content, against a
// real server with the demo data: node content.mjs <base-url> <admin-email> <password>
// Upload a broken archive and read its problems, upload a good one with a changed page title,
// preview the draft and its page, publish it, and see the change reach the learning path.
// Exits non-zero at the first step that fails, saying which.

import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  apiGet, check, checkLayout, DESKTOP, desktopPage, expectHeading, keyboardWalk, menu, newPage, PHONE, shoot, shots, step, useDesktop, walk,
} from './harness.mjs';

const [base, email, password] = process.argv.slice(2);
if (!base || !email || !password) {
  console.error('usage: node content.mjs <base-url> <admin-email> <password>');
  process.exit(2);
}

const CONTENT = join(dirname(fileURLToPath(import.meta.url)), '../../content');
const PAGE = 'modules/2-veiledningsprosessen/01-velkommen-til-mentoropplaeringen.md';
const NEW_TITLE = 'Velkommen til mentoropplæringen (ny utgave)';
// Checking an archive runs ffprobe on its films: that takes longer than a click.
const IMPORT_TIMEOUT = 120000;

/** A tar.gz of a copy of the repository's content/, changed by `change(dir)` first. */
function archive(work, name, change) {
  const root = join(work, name);
  cpSync(CONTENT, join(root, 'content'), { recursive: true });
  change(join(root, 'content'));
  const file = join(work, `${name}.tar.gz`);
  execFileSync('tar', ['-czf', file, '-C', root, 'content']);
  return file;
}

function edit(file, from, to) {
  const text = readFileSync(file, 'utf8');
  check(text.includes(from), `${file} has ${from}`);
  writeFileSync(file, text.replace(from, to));
}

async function signIn(page) {
  await page.goto(`${base}/sign-in`);
  await page.getByLabel('E-post').fill(email);
  await page.getByLabel('Passord', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Logg inn' }).click();
  await page.waitForURL(`${base}/admin`);
  await page.locator('h1').waitFor();
}

/** Uploads an archive with the screen's own file input and button. */
async function upload(page, file) {
  await page.getByLabel('Innholdsarkiv (.tar.gz)').setInputFiles(file);
  await page.getByRole('button', { name: 'Last opp og kontroller' }).click();
}

const problemsHeading = (page) => page.getByRole('heading', { name: 'Innholdet ble ikke lastet opp' });

const work = mkdtempSync(join(tmpdir(), 'mentorsti-content-'));
// walk() exits the process when a step fails: the archives go then too.
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
await walk(base, 'content', async () => {
  const broken = archive(work, 'broken', (dir) => {
    // A number written as a word in the front matter, and a film whose subtitles are gone.
    edit(join(dir, PAGE), 'estimated_minutes = 27', 'estimated_minutes = "tjuesju"');
    rmSync(join(dir, 'subtitles/gode-sporsmal.vtt'));
  });
  const good = archive(work, 'good', (dir) => {
    edit(join(dir, PAGE), 'title = "Velkommen til mentoropplæringen"', `title = "${NEW_TITLE}"`);
  });

  step('sign in as the administrator and open the content from the menu');
  const phone = await newPage(PHONE, 'phone');
  useDesktop(await newPage(DESKTOP, 'desktop'));
  await signIn(phone);
  await signIn(desktopPage());
  await (await menu(phone, 'Innhold')).click();
  await expectHeading(phone, 'Kursinnhold');

  step('the history shows the published revision');
  const before = await apiGet(phone, '/admin/content/revisions');
  const published = before.find((r) => r.current);
  check(published, 'the demo has a published revision');
  const history = phone.locator('#content-revisions tbody tr');
  check(await history.count() === before.length, `the history has ${before.length} rows`);
  await history.filter({ hasText: 'Publisert nå' }).filter({ hasText: published.title }).waitFor();
  // The phone's photograph shows the history, below the upload.
  await phone.evaluate(() => document.getElementById('content-history').scrollIntoView({ block: 'start', behavior: 'instant' }));
  await shoot(phone, 'content-history', signIn);
  await keyboardWalk(phone, 'content history', ['Innholdsarkiv (.tar.gz)', 'Last opp og kontroller', 'Forhåndsvis versjonen fra']);

  step('no file chosen: the screen says so');
  await phone.getByRole('button', { name: 'Last opp og kontroller' }).click();
  await phone.getByRole('alert').filter({ hasText: 'Velg et arkiv (.tar.gz) først.' }).waitFor();

  step('a broken archive is refused with every problem as file:line: reason');
  await upload(phone, broken);
  await problemsHeading(phone).waitFor({ timeout: IMPORT_TIMEOUT });
  const problems = await phone.locator('#content-problems li').allTextContents();
  console.log(problems.map((p) => `    ${p}`).join('\n'));
  check(problems.length >= 2, `two problems or more are listed, not ${problems.length}`);
  check(problems.some((p) => new RegExp(`^${PAGE}:3: front matter: .*"tjuesju"`).test(p)), 'the broken front matter is listed with its file and line');
  check(problems.some((p) => /^modules\/3-[^:]+\.md:\d+: .*subtitles\/gode-sporsmal\.vtt does not exist/.test(p)), 'the missing subtitle file is listed with the film\'s file and line');
  await phone.getByRole('alert').filter({ hasText: 'ingenting er lagret' }).waitFor();
  check((await apiGet(phone, '/admin/content/revisions')).length === before.length, 'nothing was stored');
  // The desktop gets the same answer on its own screen before its photograph.
  await checkLayout(phone, 'content-problems');
  const desktop = desktopPage();
  await desktop.goto(phone.url());
  await expectHeading(desktop, 'Kursinnhold');
  await upload(desktop, broken);
  await problemsHeading(desktop).waitFor({ timeout: IMPORT_TIMEOUT });
  await checkLayout(desktop, 'content-problems (desktop)');
  if (shots) {
    await phone.screenshot({ path: join(shots, 'content-problems-phone.png') });
    await desktop.screenshot({ path: join(shots, 'content-problems-desktop.png') });
  }
  await keyboardWalk(phone, 'content problems', ['Innholdsarkiv (.tar.gz)', 'Last opp og kontroller']);

  step('a good archive becomes a draft, shown in the history');
  await upload(phone, good);
  await phone.getByRole('heading', { name: 'Utkastet er lagret' }).waitFor({ timeout: IMPORT_TIMEOUT });
  check(await problemsHeading(phone).count() === 0, 'the old problems are gone');
  const after = await apiGet(phone, '/admin/content/revisions');
  check(after.length === before.length + 1 && !after[0].current && after[0].source === 'upload', 'the draft is stored, not published');
  const draft = after[0];
  await history.first().filter({ hasText: 'Utkast' }).waitFor();
  check(await history.count() === after.length, 'the history shows the draft');
  await checkLayout(phone, 'content draft uploaded');
  const mentorView = await apiGet(phone, '/path');
  check(mentorView.revision === published.id && mentorView.modules[1].pages[0].title !== NEW_TITLE, 'the draft is not what the path shows');

  step('the draft is previewed as mentors will see it');
  await phone.getByRole('link', { name: 'Forhåndsvis utkastet' }).click();
  await expectHeading(phone, 'Forhåndsvisning av kurset');
  check(phone.url() === `${base}/admin/content/${draft.id}`, `the preview is at ${phone.url()}`);
  await phone.getByText('Forhåndsvisning av utkast – ikke publisert').waitFor();
  check(await phone.locator('section.module').count() === draft.modules, 'every module is shown');
  check(await phone.locator('section.module ol.pages li').count() === draft.pages, 'every page is listed');
  const preview = await apiGet(phone, `/path?revision=${draft.id}`);
  check(preview.modules[1].pages[0].title === NEW_TITLE, 'the draft\'s path has the new title');
  await phone.locator('#module-2 + p + .content-facts', { hasText: `${preview.modules[1].pages.length} sider` }).waitFor();
  await shoot(phone, 'content-preview', signIn);
  await keyboardWalk(phone, 'content preview', ['Kursinnhold', 'Publiser denne versjonen', NEW_TITLE, 'Dette lærer du']);

  step('a page of the draft opens as the mentor sees it, with the banner');
  await phone.getByRole('link', { name: NEW_TITLE }).click();
  await expectHeading(phone, NEW_TITLE);
  await phone.getByText('Forhåndsvisning av utkast – ikke publisert').waitFor();
  await phone.locator('.content table').first().waitFor();
  check(await phone.locator('.reflection textarea').count() > 0, 'the reflection questions are shown');
  check(await phone.locator('.reflection textarea:not([disabled])').count() === 0, 'nothing can be written in a preview');
  await shoot(phone, 'content-preview-page', signIn);
  await keyboardWalk(phone, 'content preview page', ['Forhåndsvisning', 'Tilbake til forhåndsvisningen']);
  await phone.getByRole('navigation', { name: 'Sider i forhåndsvisningen' })
    .getByRole('link', { name: preview.modules[1].pages[1].title }).waitFor();

  step('the draft is published after a confirmation');
  await phone.getByRole('link', { name: 'Tilbake til forhåndsvisningen' }).click();
  await expectHeading(phone, 'Forhåndsvisning av kurset');
  await phone.getByRole('button', { name: 'Publiser denne versjonen' }).click();
  await phone.getByText('ser alle mentorer denne versjonen med en gang').waitFor();
  await phone.getByRole('button', { name: 'Ja, publiser' }).click();
  await expectHeading(phone, 'Kursinnhold');
  await phone.getByText('Versjonen er publisert. Mentorene ser den nå.').waitFor();
  await history.first().filter({ hasText: 'Publisert nå' }).waitFor();
  check(await history.filter({ hasText: 'Publisert nå' }).count() === 1, 'one revision is current');
  await history.nth(1).filter({ hasText: 'Tidligere publisert' }).waitFor();
  await checkLayout(phone, 'content published');

  step('the learning path now has the change');
  const path = await apiGet(phone, '/path');
  check(path.revision === draft.id, `the path is of revision ${path.revision}`);
  check(path.modules[1].pages[0].title === NEW_TITLE, `the first page of module 2 is "${path.modules[1].pages[0].title}"`);
});
