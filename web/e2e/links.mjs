// Links from emails never dead-end, and everything a person reads is bokmål: an invitation
// opened fresh, accepted, and opened again; an expired invitation; a replaced password-reset
// link; forms with the client's own validation messages; a mistyped address; and the
// certificate's verification page, valid, unknown and revoked. Run against a real server by tests/api/browser_links.rs:
// node links.mjs <base-url>
// Environment: as harness.mjs, and
// INVITATION_TOKEN, INVITEE_EMAIL, INVITEE_NAME (an open invitation and what the coordinator typed),
// EXPIRED_INVITATION_TOKEN, REPLACED_RESET_TOKEN and RESET_TOKEN (the newer link, with RESET_EMAIL),
// VERIFY_URL (a certificate's verification link, as GET /me/certificate gives it),
// CERTIFICATE_NAME (the name on it) and ADMIN_TOKEN (an administrator's, to revoke it).

import { join } from 'node:path';
import {
  DESKTOP, PHONE, check, checkLayout, expectHeading, keyboardWalk, newPage, shoot, shots, step, walk,
} from './harness.mjs';

const [base] = process.argv.slice(2);
const env = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`usage: node links.mjs <base-url>, with ${name} set`);
    process.exit(2);
  }
  return value;
};
const invitation = env('INVITATION_TOKEN');
const invitee = { email: env('INVITEE_EMAIL'), name: env('INVITEE_NAME') };
const expiredInvitation = env('EXPIRED_INVITATION_TOKEN');
const replacedReset = env('REPLACED_RESET_TOKEN');
const reset = { token: env('RESET_TOKEN'), email: env('RESET_EMAIL') };
const verifyUrl = env('VERIFY_URL');
const certificateName = env('CERTIFICATE_NAME');
const adminToken = env('ADMIN_TOKEN');

const link = (screen, token) => `${base}/${screen}?token=${encodeURIComponent(token)}`;

// Chromium's own messages, in the language of its menus; none may reach a person.
const ENGLISH = /please|fill out|this field|include an|lengthen|characters|match the requested|valid email/i;
async function noEnglish(page, where) {
  const text = await page.locator('main').innerText();
  check(!ENGLISH.test(text), `${where}: English validation text on the screen: ${text}`);
  check(!/^\s*[{[]/.test(await page.locator('body').innerText()), `${where}: raw JSON on the screen`);
}

/** The alert a form shows, which must say `expected`. */
async function formSays(page, expected) {
  const alert = page.getByRole('alert').filter({ hasText: expected });
  await alert.waitFor();
  return alert;
}

/**
 * For a state that a fresh load cannot show again (an alert, a welcome): checked and
 * photographed on this page at 360 px, then at 1280 px, without reloading.
 */
async function shootHere(page, name) {
  await checkLayout(page, name);
  if (shots) await page.screenshot({ path: join(shots, `${name}-phone.png`) });
  await page.setViewportSize(DESKTOP);
  await checkLayout(page, `${name} (desktop)`);
  if (shots) await page.screenshot({ path: join(shots, `${name}-desktop.png`) });
  await page.setViewportSize(PHONE);
}

await walk(base, 'links', async () => {
  const phone = await newPage(PHONE, 'phone');

  step('an invitation opened fresh shows the address and the name the coordinator typed');
  await phone.goto(link('invitation', invitation));
  await expectHeading(phone, 'Velkommen som mentor');
  const account = phone.getByLabel('E-post', { exact: true });
  check(await account.inputValue() === invitee.email, `the form is for ${await account.inputValue()}`);
  check(await account.getAttribute('readonly') !== null, 'the address is shown, not typed');
  check(await phone.getByLabel('Fullt navn').inputValue() === invitee.name, 'the name the coordinator typed is filled in');
  await phone.getByText(/som mentor i .+ kommune/).waitFor();
  await shoot(phone, 'links-invitation');
  await keyboardWalk(phone, 'invitation', ['Fullt navn', 'Nytt passord', 'Gjenta passordet', 'Opprett konto']);

  step('the invitation form speaks bokmål when something is missing or too short');
  await phone.getByLabel('Fullt navn').fill('');
  await phone.getByRole('button', { name: 'Opprett konto' }).click();
  await formSays(phone, '«Fullt navn» må fylles ut.');
  check(await phone.evaluate(() => document.activeElement.id) === 'name', 'the empty field gets focus');
  check(await phone.getByLabel('Fullt navn').getAttribute('aria-invalid') === 'true', 'the empty field is marked invalid');
  await noEnglish(phone, 'invitation, empty name');
  // The name is editable: the invitee writes it as they want it.
  const name = `${invitee.name} Haugen`;
  const first = name.split(' ')[0];
  await phone.getByLabel('Fullt navn').fill(name);
  check(await phone.getByLabel('Fullt navn').getAttribute('aria-invalid') === null, 'a changed field is no longer marked');
  await phone.getByLabel('Nytt passord', { exact: true }).fill('for kort');
  await phone.getByRole('button', { name: 'Opprett konto' }).click();
  await formSays(phone, '«Nytt passord» må ha minst 12 tegn. Nå har det 8.');
  await noEnglish(phone, 'invitation, short password');
  await shootHere(phone, 'links-invitation-validation');

  step('accepting welcomes the mentor on the start page');
  const chosen = 'Kaffe på vaktrommet klokka sju';
  await phone.getByLabel('Nytt passord', { exact: true }).fill(chosen);
  await phone.getByLabel('Gjenta passordet').fill(chosen);
  await phone.getByRole('button', { name: 'Opprett konto' }).click();
  await expectHeading(phone, `Hei, ${first}`);
  check(new URL(phone.url()).pathname === '/', `after accepting the mentor is at ${phone.url()}`);
  await phone.getByRole('status').filter({ hasText: `Velkommen, ${first}! Kontoen din er klar` }).waitFor();
  await shootHere(phone, 'links-welcome');
  await keyboardWalk(phone, 'welcome');

  step('the same invitation opened again says at once that it is used, with the way on');
  const again = await newPage(PHONE, 'invitation again');
  await again.goto(link('invitation', invitation));
  await expectHeading(again, 'Invitasjonen er allerede brukt');
  check(await again.locator('form').count() === 0, 'no form to fill in for a used invitation');
  await again.getByRole('link', { name: 'Logg inn', exact: true }).waitFor();
  await shoot(again, 'links-invitation-used');
  await keyboardWalk(again, 'used invitation', ['Logg inn', 'Glemt passordet?']);
  await again.getByRole('link', { name: 'Logg inn', exact: true }).click();
  await expectHeading(again, 'Logg inn');

  step('an expired invitation says so, and who sends a new one');
  await again.goto(link('invitation', expiredInvitation));
  await expectHeading(again, 'Invitasjonen er utløpt');
  await again.getByText('Be koordinatoren som inviterte deg').waitFor();
  await shoot(again, 'links-invitation-expired');
  await keyboardWalk(again, 'expired invitation', ['Logg inn']);

  step('a replaced reset link says so at once, with "Be om ny lenke"');
  await again.goto(link('reset-password', replacedReset));
  await expectHeading(again, 'Lenken er allerede brukt');
  check(await again.locator('form').count() === 0, 'no password form for a dead link');
  await shoot(again, 'links-reset-replaced');
  await keyboardWalk(again, 'replaced reset link', ['Be om ny lenke', 'Logg inn']);
  await again.getByRole('link', { name: 'Be om ny lenke' }).click();
  await expectHeading(again, 'Glemt passordet');

  step('the newest reset link opens its form, for the address it was sent to');
  await again.goto(link('reset-password', reset.token));
  await expectHeading(again, 'Velg nytt passord');
  check(await again.getByLabel('E-post', { exact: true }).inputValue() === reset.email, 'the form says whose password it sets');
  await shoot(again, 'links-reset');
  await keyboardWalk(again, 'reset link', ['Nytt passord', 'Gjenta passordet', 'Lagre nytt passord']);

  step('a form submitted empty, then with a bad address, answers in bokmål');
  await again.goto(`${base}/forgot-password`);
  await expectHeading(again, 'Glemt passordet');
  await again.getByRole('button', { name: 'Send lenke' }).click();
  await formSays(again, '«E-post» må fylles ut.');
  await noEnglish(again, 'empty address');
  await again.getByLabel('E-post').fill('kari.nordmann');
  await again.getByRole('button', { name: 'Send lenke' }).click();
  await formSays(again, '«E-post» må være en e-postadresse, for eksempel navn@kommune.no.');
  await noEnglish(again, 'bad address');
  await shootHere(again, 'links-validation');
  await keyboardWalk(again, 'validation', ['E-post', 'Send lenke']);
  // Chromium itself would have said it in English: the client's words are its own.
  const own = await again.getByLabel('E-post').evaluate((input) => input.validationMessage);
  console.log(`  Chromium's own message would have been: ${own}`);
  await again.goto(`${base}/sign-in`);
  await again.getByRole('button', { name: 'Logg inn' }).click();
  await formSays(again, '«E-post» må fylles ut.');
  await again.getByLabel('E-post').fill('kari@');
  await again.getByLabel('Passord', { exact: true }).fill('noe');
  await again.getByRole('button', { name: 'Logg inn' }).click();
  await formSays(again, '«E-post» må være en e-postadresse');
  await noEnglish(again, 'sign-in with a bad address');

  step('a mistyped address shows the client in bokmål, not JSON');
  const typo = await again.goto(`${base}/logg-inn`);
  check(typo.status() === 404, `a mistyped address answers ${typo.status()}`);
  await expectHeading(again, 'Fant ikke siden');
  await noEnglish(again, 'mistyped address');
  await checkLayout(again, 'mistyped address');

  step("the certificate's link shows name, programme and date in bokmål");
  check(new URL(verifyUrl).pathname.startsWith('/certificate/'), `the certificate links to ${verifyUrl}`);
  const code = new URL(verifyUrl).pathname.split('/').pop();
  await again.goto(verifyUrl.replace(new URL(verifyUrl).origin, base));
  await expectHeading(again, 'Kursbeviset er ekte');
  const card = again.locator('dl');
  await card.getByText(certificateName, { exact: true }).waitFor();
  await card.getByText('Mentoropplæring i lindrende behandling').waitFor();
  await card.getByText(/^\d{1,2}\. [a-zæøå]+ \d{4}$/).waitFor();
  await noEnglish(again, 'certificate');
  await shoot(again, 'links-certificate');
  await keyboardWalk(again, 'certificate', ['Kode på kursbeviset', 'Sjekk koden']);

  step('an unknown code says "Fant ikke kursbeviset", and a code can be typed in');
  await again.goto(`${base}/certificate/ABCD-EFGH-JKLM-NPQR`);
  await expectHeading(again, 'Fant ikke kursbeviset');
  await noEnglish(again, 'unknown certificate');
  await shoot(again, 'links-certificate-unknown');
  await keyboardWalk(again, 'unknown certificate', ['Kode på kursbeviset', 'Sjekk koden']);
  await again.getByLabel('Kode på kursbeviset').fill('ikke en kode');
  await again.getByRole('button', { name: 'Sjekk koden' }).click();
  await formSays(again, 'Koden er fire grupper med fire tegn');
  await noEnglish(again, 'bad certificate code');
  // Typed as it is read aloud: small letters, no hyphens.
  await again.getByLabel('Kode på kursbeviset').fill(code.replace(/-/g, '').toLowerCase());
  await again.getByRole('button', { name: 'Sjekk koden' }).click();
  await expectHeading(again, 'Kursbeviset er ekte');

  step('a revoked certificate says so, and names no one');
  const revoked = await fetch(`${base}/api/v1/admin/certificates/${code}/revoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ reason: 'Utstedt ved en feil' }),
  });
  check(revoked.status === 200 || revoked.status === 204, `revoking answered ${revoked.status}`);
  await again.goto(verifyUrl.replace(new URL(verifyUrl).origin, base));
  await expectHeading(again, 'Kursbeviset er trukket tilbake');
  check(!(await again.locator('main').innerText()).includes(certificateName), 'a revoked certificate names its holder');
  check(!(await again.locator('main').innerText()).includes('Utstedt ved en feil'), 'a revoked certificate tells the reason');
  await again.locator('dl').getByText('Mentoropplæring i lindrende behandling').waitFor();
  await noEnglish(again, 'revoked certificate');
  await shoot(again, 'links-certificate-revoked');
  await keyboardWalk(again, 'revoked certificate', ['Kode på kursbeviset', 'Sjekk koden']);
});
