// A mentor reads the course in nynorsk, against a real server with the demo data set up by
// tests/api/browser_nynorsk.rs:
// node nynorsk.mjs <base-url> <email> <password>
// The mentor (part way along the path) chooses Nynorsk on the profile, reads a course page in
// nynorsk and completes it, writes in the note, opens the webinars; every screen is checked at
// 360 and 1280 px and must say `lang="nn"`. Then back to Bokmål: the completion and the note
// are still there. Environment: as harness.mjs. The screenshots (`nynorsk-*`) stay under
// SCREENSHOT_DIR: the README does not show them, so the docs' copies are not renewed.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DESKTOP, PHONE, apiGet, check, desktopPage, expectHeading, keyboardWalk, newPage, shoot, signInWith, step, useDesktop, walk,
} from './harness.mjs';

const [base, email, password] = process.argv.slice(2);
if (!base || !email || !password) {
  console.error('usage: node nynorsk.mjs <base-url> <email> <password>');
  process.exit(2);
}

const CONTENT = join(dirname(fileURLToPath(import.meta.url)), '../../content');

/** A page's title as its content file says, in bokmål (`nb`) or nynorsk (`nn`). */
function titleOf(module, slug, form) {
  const folder = readdirSync(join(CONTENT, 'modules')).find((d) => d.startsWith(`${module}-`));
  const file = readdirSync(join(CONTENT, 'modules', folder))
    .find((f) => f.replace(/^\d+-/, '') === (form === 'nn' ? `${slug}.nn.md` : `${slug}.md`));
  check(file, `content/modules/${folder} has no ${form} file for the page ${slug}`);
  const text = readFileSync(join(CONTENT, 'modules', folder, file), 'utf8');
  const title = /^title\s*=\s*"((?:[^"\\]|\\.)*)"/m.exec(text)?.[1];
  check(title, `${folder}/${file} has a title`);
  return JSON.parse(`"${title}"`);
}

// Words only bokmål writes: a screen in nynorsk shows none of them (a text left out of t(), or
// course text served in the wrong form, would).
const BOKMAL_ONLY = ['ikke', 'jeg', 'hva', 'hvordan', 'hvorfor', 'hvis', 'noe', 'noen', 'også', 'fra', 'mye', 'bare', 'hele', 'lagret'];

/** The page (and its `<html lang>`) is in `form`; in nynorsk no bokmål-only word is shown. */
async function inForm(page, form, where) {
  const lang = await page.evaluate(() => document.documentElement.lang);
  check(lang === form, `${where}: <html lang="${lang}">, not "${form}"`);
  if (form !== 'nn') return;
  const text = await page.evaluate(() => [document.querySelector('header').innerText, document.querySelector('main').innerText,
    ...[...document.querySelectorAll('[aria-label]')].map((e) => e.getAttribute('aria-label'))].join('\n'));
  const words = text.toLowerCase().split(/[^\p{L}]+/u);
  const bokmal = [...new Set(words.filter((w) => BOKMAL_ONLY.includes(w)))];
  check(bokmal.length === 0, `${where}: bokmål words on a nynorsk screen: ${bokmal.join(', ')}`);
}

/** The screen's heading is `text`, exactly (bokmål and nynorsk headings often begin alike). */
async function heading(page, text) {
  await expectHeading(page, text);
  const shown = (await page.locator('h1').innerText()).trim();
  check(shown === text, `the heading is "${shown}", not "${text}"`);
}

/**
 * A link (or the sign-out button) of the main menu, unfolding it first on a phone. As the
 * harness's `menu`, but the menu is named in the page's form ("Hovudmeny" in nynorsk).
 */
async function menu(page, name, role = 'link') {
  const toggle = page.getByRole('button', { name: 'Meny' });
  if (await toggle.isVisible() && await toggle.getAttribute('aria-expanded') === 'false') await toggle.click();
  const nn = await page.evaluate(() => document.documentElement.lang === 'nn');
  return page.getByRole('navigation', { name: nn ? 'Hovudmeny' : 'Hovedmeny' }).getByRole(role, { name, exact: true });
}

/** The main menu's items, in order. */
async function menuItems(page) {
  return (await menu(page, 'Profil')).locator('xpath=ancestor::ul').getByRole('link').allInnerTexts();
}

/** Checks the screen at both widths (and photographs it), and that both are in `form`. */
async function screen(phone, name, form) {
  await shoot(phone, name);
  await inForm(phone, form, name);
  await inForm(desktopPage(), form, `${name} (desktop)`);
}

await walk(base, 'nynorsk', async () => {
  step('a mentor signs in, in bokmål');
  const phone = await newPage(PHONE, 'phone');
  await signInWith(phone, base, email, password, 'Hei');
  const desktop = await newPage(DESKTOP, 'desktop');
  await signInWith(desktop, base, email, password, 'Hei');
  useDesktop(desktop);
  await inForm(phone, 'nb', 'the start page');
  const before = await apiGet(phone, '/path');
  check(!before.completed && before.resume, 'the mentor is part way along the path');
  const me = await apiGet(phone, '/me');
  check((me.language || 'nb') === 'nb', `the profile starts in bokmål, not ${me.language}`);

  step('the profile is the last item of the menu and shows the account');
  const items = await menuItems(phone);
  check(items.join('|') === 'Læringsstien|Litteratur|Notat|Webinarer|Kursbevis|Profil', `the menu: ${items.join(', ')}`);
  await (await menu(phone, 'Profil')).click();
  await heading(phone, 'Profil');
  const facts = await phone.locator('.profile-facts').innerText();
  check(facts.includes(me.email), 'the profile shows the e-mail address');
  check(!me.municipality || facts.includes(me.municipality.name), 'the profile shows the municipality');
  check(await phone.getByLabel('Navn', { exact: true }).inputValue() === me.name, 'the name can be changed');
  check(await phone.getByRole('radio', { name: 'Bokmål' }).isChecked(), 'Bokmål is chosen');
  await screen(phone, 'nynorsk-profile-bokmal', 'nb');

  step('choosing Nynorsk switches the client at once and keeps the mentor on the profile');
  const asked = phone.waitForRequest((r) => r.url().endsWith('/api/v1/me') && r.method() === 'PATCH');
  await phone.getByRole('radio', { name: 'Nynorsk' }).click();
  check((await asked).postDataJSON().language === 'nn', 'the choice is saved on the profile');
  await phone.waitForFunction(() => document.documentElement.lang === 'nn');
  await heading(phone, 'Profil');
  await phone.getByText('No blir opplæringa vist på nynorsk.').waitFor();
  check(await phone.getByRole('radio', { name: 'Nynorsk' }).isChecked(), 'Nynorsk is chosen');
  check(await phone.evaluate(() => document.activeElement?.id) === 'language-nn', 'the keyboard stays on the choice');
  await phone.getByRole('group', { name: 'Skriftform' }).getByText('Opplæringa, e-postane du får, og kursbeviset ditt følgjer skriftforma du vel.').waitFor();
  check(await phone.getByLabel('Namn', { exact: true }).inputValue() === me.name, 'the form is drawn again in nynorsk');
  check((await apiGet(phone, '/me')).language === 'nn', 'the server keeps nynorsk');
  check(await phone.getByRole('link', { name: 'Hopp til innhaldet' }).count() === 1, 'the page around the screen is in nynorsk');
  check(await phone.title() === 'Profil – Mentoropplæring', `the title is ${await phone.title()}`);
  await screen(phone, 'nynorsk-profile', 'nn');
  await keyboardWalk(phone, 'profile in nynorsk', ['Nynorsk', 'Lagre endringane', 'Last ned dataa mine']);

  step('the start page and the menu are in nynorsk, and the API is asked in nynorsk');
  const inNynorsk = phone.waitForRequest((r) => r.url().endsWith('/api/v1/path'));
  await (await menu(phone, 'Læringsstien')).click();
  check((await inNynorsk).headers()['accept-language'] === 'nn', 'requests say Accept-Language: nn');
  await expectHeading(phone, 'Hei');
  await phone.getByRole('heading', { name: 'Heile opplæringa' }).waitFor();
  await phone.getByRole('heading', { name: 'Neste steg' }).waitFor();
  const nynorskItems = await menuItems(phone);
  check(nynorskItems.join('|') === 'Læringsstien|Litteratur|Notat|Webinar|Kursbevis|Profil', `the menu in nynorsk: ${nynorskItems.join(', ')}`);
  check(await (await menu(phone, 'Logg ut', 'button')).count() === 1, 'signing out is still offered');
  await screen(phone, 'nynorsk-path', 'nn');

  step('a course page is served in nynorsk, and completing it counts');
  const { module, slug } = before.resume;
  const nynorskTitle = titleOf(module, slug, 'nn');
  const bokmalTitle = titleOf(module, slug, 'nb');
  await phone.getByRole('link', { name: /^Hald fram der du slapp: / }).click();
  await heading(phone, nynorskTitle);
  const page = await apiGet(phone, `/modules/${module}/pages/${slug}`);
  check(page.title === nynorskTitle, `the API serves "${page.title}", not the nynorsk "${nynorskTitle}"`);
  await phone.locator('.breadcrumb', { hasText: `Modul ${module}:` }).waitFor();
  await phone.getByText(/^Lesetid ca\. \d/).waitFor();
  await screen(phone, `nynorsk-page`, 'nn');
  await phone.getByRole('button', { name: /^Fullført – / }).click();
  await phone.waitForURL((url) => !url.pathname.endsWith(`/${slug}`));
  await phone.locator('h1').waitFor();

  step('the note is written in nynorsk and saves itself');
  await (await menu(phone, 'Notat')).click();
  await heading(phone, 'Refleksjonsnotat');
  await phone.getByText('Notatet er billetten din til webinara i modul 5.', { exact: false }).waitFor();
  const note = 'Som mentor vil eg la kollegaene mine finne sine eigne svar, og tole stilla før nokon seier noko. ';
  const textarea = phone.getByLabel('Notatet ditt');
  await textarea.fill('');
  await textarea.pressSequentially(note, { delay: 5 });
  await phone.locator('#note-save', { hasText: 'Lagra kl.' }).waitFor();
  await phone.locator('#note-state', { hasText: 'Utkast lagra, ikkje sendt inn.' }).waitFor();
  await phone.locator('#note-submit-reason', { hasText: 'når heile læringsstien er fullført' }).waitFor();
  await screen(phone, 'nynorsk-note', 'nn');

  step('the webinars screen is in nynorsk');
  await (await menu(phone, 'Webinar')).click();
  await heading(phone, 'Webinar');
  await phone.getByRole('heading', { name: 'Webinara mine' }).waitFor();
  await phone.getByRole('heading', { name: 'Seriar som kjem' }).waitFor();
  await screen(phone, 'nynorsk-webinars', 'nn');

  step('back to Bokmål with the keyboard: the completion and the note are still there');
  await (await menu(phone, 'Profil')).click();
  await heading(phone, 'Profil');
  await phone.getByRole('radio', { name: 'Nynorsk' }).focus();
  await phone.keyboard.press('ArrowUp');
  await phone.waitForFunction(() => document.documentElement.lang === 'nb');
  await phone.getByText('Nå vises opplæringen på bokmål.').waitFor();
  check(await phone.evaluate(() => document.activeElement?.id) === 'language-nb', 'the keyboard stays on the choice');
  check((await apiGet(phone, '/me')).language === 'nb', 'the server keeps bokmål');
  await screen(phone, 'nynorsk-profile-back', 'nb');

  await (await menu(phone, 'Læringsstien')).click();
  await phone.getByRole('heading', { name: 'Hele opplæringen' }).waitFor();
  const after = await apiGet(phone, '/path');
  check(after.pages_completed === before.pages_completed + 1,
    `${after.pages_completed} pages completed after reading one more than ${before.pages_completed}`);
  const done = after.modules.find((m) => m.number === module).pages.find((p) => p.slug === slug);
  check(done.status === 'completed', `the page read in nynorsk is ${done.status}`);
  await phone.getByText(`Du har fullført ${after.pages_completed} av ${after.pages_counted} sider.`, { exact: false }).waitFor();
  await phone.locator(`a[href="/modules/${module}/${slug}"]`).click();
  await heading(phone, bokmalTitle);
  await phone.getByText('Du har fullført denne siden.').waitFor();

  await (await menu(phone, 'Notat')).click();
  await heading(phone, 'Refleksjonsnotat');
  check(await phone.getByLabel('Notatet ditt').inputValue() === note, 'the note written in nynorsk is still there');
  await phone.locator('#note-state', { hasText: 'Utkast lagret, ikke sendt inn.' }).waitFor();
  await screen(phone, 'nynorsk-note-back', 'nb');
});
