// Signing in with a provider (ID-porten) against a real OpenID Connect provider: the refusals
// (a subject no account has, a sign-in cancelled at the provider), an account made from an
// invitation with the provider's button, signing in with it again, and the profile's list of
// ways to sign in: the only way cannot be removed; a mentor with a password links the provider
// and removes the link again, and a subject another account has is refused. Every button to the
// provider is pressed with the keyboard alone. Run by tests/api/browser_oidc.rs:
// node oidc.mjs <base-url>
// Environment: as harness.mjs, and
// INVITATION_TOKEN, INVITEE_NAME (an open invitation and the name in it), INVITEE_SUBJECT (the
// invitee at the provider), STRANGER_SUBJECT (a subject no account has), MENTOR_EMAIL,
// MENTOR_PASSWORD, MENTOR_NAME (a mentor with a password) and MENTOR_SUBJECT (theirs at the provider).

import { join } from 'node:path';
import {
  DESKTOP, PHONE, check, checkLayout, expectHeading, keyboardWalk, menu, newPage, shoot, shots, signInWith, step,
  walk, workerControls,
} from './harness.mjs';

const [base] = process.argv.slice(2);
const env = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`usage: node oidc.mjs <base-url>, with ${name} set`);
    process.exit(2);
  }
  return value;
};
const invitation = env('INVITATION_TOKEN');
const invitee = { name: env('INVITEE_NAME'), subject: env('INVITEE_SUBJECT') };
const stranger = env('STRANGER_SUBJECT');
const mentor = { email: env('MENTOR_EMAIL'), password: env('MENTOR_PASSWORD'), name: env('MENTOR_NAME'), subject: env('MENTOR_SUBJECT') };
const LABEL = 'ID-porten';
const first = (name) => name.split(' ')[0];

/**
 * For a state a fresh load cannot show again (a message after an action, a signed-in page the
 * desktop page has no session for): checked and photographed here at 360 px, then at 1280 px,
 * with `show` (a locator) in view.
 */
async function shootHere(page, name, show) {
  const photograph = async (size) => {
    if (!shots) return;
    await show?.evaluate((e) => e.scrollIntoView({ block: 'start', behavior: 'instant' }));
    await page.screenshot({ path: join(shots, `${name}-${size}.png`) });
  };
  await checkLayout(page, name);
  await photograph('phone');
  await page.setViewportSize(DESKTOP);
  await checkLayout(page, `${name} (desktop)`);
  await photograph('desktop');
  await page.setViewportSize(PHONE);
}

/** Tabs from the top of the page to the control named `name` and presses Enter on it. */
async function pressWithKeyboard(page, name) {
  await page.evaluate(() => document.activeElement?.blur());
  for (let i = 0; i < 80; i += 1) {
    await page.keyboard.press('Tab');
    const here = await page.evaluate(() => (document.activeElement?.textContent || '').trim());
    if (here === name) {
      await page.keyboard.press('Enter');
      return;
    }
  }
  throw new Error(`Tab never reaches "${name}"`);
}

/** The mock provider's own form, which the person fills in there; `sub` is who they are. */
async function atProvider(page, sub) {
  await page.waitForURL((url) => url.origin !== new URL(base).origin, { waitUntil: 'commit' });
  await page.getByRole('heading', { name: 'Authorize Client' }).waitFor();
  if (sub) {
    await page.locator('input[name="sub"]').fill(sub);
    await page.getByRole('button', { name: 'Authorize', exact: true }).click();
  } else {
    await page.getByRole('button', { name: 'Deny' }).click();
  }
  await page.waitForURL((url) => url.origin === new URL(base).origin, { waitUntil: 'commit' });
}

/** Waits for the screen headed `heading` after a round trip, saying where the page is if it never comes. */
async function arrive(page, heading) {
  try {
    await expectHeading(page, heading);
  } catch (error) {
    const shown = await page.locator('body').innerText().catch(() => '');
    throw new Error(`${error.message}\n  at ${page.url()}:\n  ${shown.slice(0, 600)}`);
  }
}

/** The address bar never keeps the one-time code. */
function noCodeIn(page) {
  check(!new URL(page.url()).searchParams.has('code'), `the code is still in the address: ${page.url()}`);
}

await walk(base, 'oidc', async () => {
  const phone = await newPage(PHONE, 'phone');
  // The mock provider's pages take their style from a CDN, which the tests do without.
  await phone.context().route(/^https:\/\/cdn\.jsdelivr\.net\//, (route) => route.abort());

  step('the sign-in screen offers ID-porten above the password form');
  await phone.goto(`${base}/sign-in`);
  await expectHeading(phone, 'Logg inn');
  const button = phone.getByRole('button', { name: `Logg inn med ${LABEL}` });
  await button.waitFor();
  const [buttonTop, formTop] = await Promise.all([button, phone.locator('form')].map(async (e) => (await e.boundingBox()).y));
  check(buttonTop < formTop, 'the provider comes before the password form');
  await phone.getByText('eller med e-post og passord').waitFor();
  await shoot(phone, 'oidc-sign-in');
  await keyboardWalk(phone, 'sign-in', [`Logg inn med ${LABEL}`, 'E-post', 'Passord', 'Glemt passordet?']);

  step('the service worker leaves the round trip to the provider to the browser');
  await workerControls(phone);
  await phone.reload();
  await button.waitFor();

  step('a subject no account has is told how to get in');
  await pressWithKeyboard(phone, `Logg inn med ${LABEL}`);
  await atProvider(phone, stranger);
  await arrive(phone, 'Innloggingen er ikke koblet til en konto');
  check(new URL(phone.url()).pathname === '/sign-in/complete', `the refusal is at ${phone.url()}`);
  await phone.getByText('kobler innloggingen til kontoen under Profil').waitFor();
  await phone.getByText('åpner du lenken i invitasjonen').waitFor();
  await shoot(phone, 'oidc-not-linked');
  await keyboardWalk(phone, 'not linked', ['Tilbake til innlogging']);
  await phone.getByRole('link', { name: 'Tilbake til innlogging' }).click();
  await expectHeading(phone, 'Logg inn');

  step('cancelling at the provider says so, and nothing happened');
  await pressWithKeyboard(phone, `Logg inn med ${LABEL}`);
  await atProvider(phone, null);
  await arrive(phone, 'Innloggingen ble avbrutt');
  check(!(await phone.evaluate(() => localStorage.getItem('mentorsti.session'))), 'a cancelled sign-in signs nobody in');
  await shoot(phone, 'oidc-cancelled');
  await keyboardWalk(phone, 'cancelled', ['Tilbake til innlogging']);

  step('the invitation offers to make the account with ID-porten, without a password');
  await phone.goto(`${base}/invitation?token=${encodeURIComponent(invitation)}`);
  await expectHeading(phone, 'Velkommen som mentor');
  await phone.getByRole('button', { name: `Opprett kontoen med ${LABEL}` }).waitFor();
  await phone.getByText('Da trenger du ikke noe passord.').waitFor();
  await shoot(phone, 'oidc-invitation');
  await keyboardWalk(phone, 'invitation', [`Opprett kontoen med ${LABEL}`, 'Fullt navn', 'Opprett konto']);

  step('the account is made at the provider and the mentor lands signed in on the start page');
  await pressWithKeyboard(phone, `Opprett kontoen med ${LABEL}`);
  await atProvider(phone, invitee.subject);
  await arrive(phone, `Hei, ${first(invitee.name)}`);
  check(new URL(phone.url()).pathname === '/', `after signing in the mentor is at ${phone.url()}`);
  noCodeIn(phone);
  check(await phone.evaluate(() => Boolean(localStorage.getItem('mentorsti.session'))), 'the token pair is kept as for a password');

  step('signed out, the mentor signs in with ID-porten again, and goes where they were going');
  await (await menu(phone, 'Logg ut', 'button')).click();
  await expectHeading(phone, 'Logg inn');
  await phone.goto(`${base}/profile`);
  await expectHeading(phone, 'Logg inn');
  check(new URL(phone.url()).searchParams.get('next') === '/profile', `the sign-in goes on to ${phone.url()}`);
  await pressWithKeyboard(phone, `Logg inn med ${LABEL}`);
  await atProvider(phone, invitee.subject);
  await arrive(phone, 'Profil');
  check(new URL(phone.url()).pathname === '/profile', `after signing in the mentor is at ${phone.url()}`);
  noCodeIn(phone);

  step('the profile says how the mentor signs in: ID-porten, and no password');
  const methods = phone.locator('section', { has: phone.getByRole('heading', { name: 'Slik logger du inn' }) });
  await methods.getByRole('heading', { name: LABEL }).waitFor();
  await methods.getByText(/^Koblet til \d{1,2}\. [a-zæøå]+ \d{4}, sist brukt \d{1,2}\. [a-zæøå]+ \d{4}\.$/).waitFor();
  await methods.getByText('Du har ikke valgt et passord.', { exact: false }).waitFor();
  check(await methods.getByRole('button', { name: /^Koble til/ }).count() === 0, 'nothing more to link');
  await shootHere(phone, 'oidc-profile', methods);
  await keyboardWalk(phone, 'profile', ['Fjern kobling', 'Last ned dataene mine']);

  step('the only way to sign in cannot be removed, and the profile says why');
  await methods.getByRole('button', { name: 'Fjern kobling', exact: true }).click();
  await methods.getByRole('button', { name: 'Fjern koblingen', exact: true }).click();
  await methods.getByRole('alert').filter({ hasText: 'Du kan ikke fjerne den eneste måten du logger inn på.' }).waitFor();
  await methods.getByRole('heading', { name: LABEL }).waitFor();
  await shootHere(phone, 'oidc-last-method', methods);
  await (await menu(phone, 'Logg ut', 'button')).click();
  await expectHeading(phone, 'Logg inn');

  step('a mentor with a password links ID-porten from the profile');
  await signInWith(phone, base, mentor.email, mentor.password, `Hei, ${first(mentor.name)}`);
  await (await menu(phone, 'Profil')).click();
  await expectHeading(phone, 'Profil');
  await methods.getByText('Du har et passord.', { exact: false }).waitFor();
  await pressWithKeyboard(phone, `Koble til ${LABEL}`);
  await atProvider(phone, mentor.subject);
  await arrive(phone, 'Profil');
  check(new URL(phone.url()).pathname === '/profile', `after linking the mentor is at ${phone.url()}`);
  await phone.getByRole('status').filter({ hasText: `${LABEL} er koblet til kontoen din.` }).waitFor();
  // Linking is not a sign-in: the link counts as used once it signs the mentor in.
  await methods.getByText(/^Koblet til .+, ikke brukt ennå\.$/).waitFor();
  await shootHere(phone, 'oidc-linked');

  step('and removes the link again');
  await methods.getByRole('button', { name: 'Fjern kobling', exact: true }).click();
  await methods.getByRole('button', { name: 'Fjern koblingen', exact: true }).click();
  await methods.getByRole('status').filter({ hasText: `Koblingen til ${LABEL} er fjernet.` }).waitFor();
  await methods.getByRole('button', { name: `Koble til ${LABEL}` }).waitFor();
  check(await phone.evaluate(() => document.activeElement?.textContent) === 'Slik logger du inn', 'the keyboard goes on from the heading');

  step("another account's subject cannot be linked, and the way back is the profile");
  await pressWithKeyboard(phone, `Koble til ${LABEL}`);
  await atProvider(phone, invitee.subject);
  await arrive(phone, 'Innloggingen hører til en annen konto');
  await phone.getByRole('link', { name: 'Tilbake til profilen' }).waitFor();
  await shootHere(phone, 'oidc-identity-taken');
  await keyboardWalk(phone, 'identity taken', ['Tilbake til profilen']);
  await phone.getByRole('link', { name: 'Tilbake til profilen' }).click();
  await expectHeading(phone, 'Profil');
  await methods.getByRole('button', { name: `Koble til ${LABEL}` }).waitFor();
});
