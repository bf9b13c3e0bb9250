// Signing in (with a password or a link by mail), accepting an invitation, resetting a password
// and confirming an email address. Emails link to /invitation, /reset-password, /sign-in-link and
// /verify-email with ?token=.

import { ApiError, api, keepTokens } from '../api.js';
import { alertBox, explain, field, form, go, h, render } from '../ui.js';

let signedInHandler = () => {};
export function onSignedIn(handler) {
  signedInHandler = handler;
}

/**
 * Where a `next` link may lead after signing in: only a path of this origin, so a crafted link
 * cannot send anyone elsewhere. Browsers read a backslash as a slash (`/\evil.example` is
 * `//evil.example`, another host) and drop tabs and newlines, so those are refused outright;
 * the rest is resolved as the browser would and must stay on `origin`.
 */
export function safeNext(next, origin = location.origin) {
  if (typeof next !== 'string' || !next.startsWith('/') || /[\\\u0000-\u001f\u007f]/.test(next)) return '/';
  let url;
  try {
    url = new URL(next, origin);
  } catch {
    return '/';
  }
  return url.origin === origin ? url.pathname + url.search + url.hash : '/';
}

const PASSWORD_HINT = 'Minst 12 tegn. En setning du husker, er et godt passord.';

function newPasswordFields() {
  return [
    field({ id: 'password', label: 'Nytt passord', type: 'password', autocomplete: 'new-password', required: true, minlength: 12, maxlength: 128, hint: PASSWORD_HINT }),
    field({ id: 'repeat', label: 'Gjenta passordet', type: 'password', autocomplete: 'new-password', required: true }),
  ];
}

function samePasswords(values) {
  if (values.password !== values.repeat) throw new Error('mismatch');
}

const mismatchOr = (describe) => (error) =>
  error.message === 'mismatch' ? 'De to passordene er ikke like.' : describe(error);

export function signIn(query) {
  render('Logg inn',
    h('p', { class: 'lead' }, 'Velkommen til mentoropplæringen i lindrende behandling.'),
    form({
      label: 'Logg inn',
      fields: [
        field({ id: 'email', label: 'E-post', type: 'email', autocomplete: 'username', required: true, inputmode: 'email' }),
        field({ id: 'password', label: 'Passord', type: 'password', autocomplete: 'current-password', required: true }),
      ],
      submit: 'Logg inn',
      describe: (error) => {
        if (!(error instanceof ApiError)) return explain(error);
        if (error.code === 'unauthorized') return 'E-postadressen eller passordet er feil.';
        if (error.code === 'rate_limited') return 'For mange feil passord for denne kontoen. Vent litt, eller logg inn med en lenke på e-post.';
        return explain(error);
      },
      action: async ({ email, password }) => {
        keepTokens(await api('/auth/login', { method: 'POST', body: { email: email.trim(), password } }));
        signedInHandler();
        go(safeNext(query.get('next')), { replace: true });
      },
    }),
    h('p', {}, h('a', { href: '/forgot-password' }, 'Glemt passordet?')),
    h('p', {}, h('a', { href: '/sign-in-link' }, 'Logg inn med en lenke på e-post')),
    h('p', { class: 'muted' }, 'Har du fått en invitasjon på e-post? Bruk lenken i e-posten for å lage konto.'));
}

export function forgotPassword() {
  const done = h('div', { 'aria-live': 'polite' });
  const request = form({
    label: 'Be om nytt passord',
    fields: [field({ id: 'email', label: 'E-post', type: 'email', autocomplete: 'username', required: true })],
    submit: 'Send lenke',
    action: async ({ email }) => {
      await api('/auth/password-reset', { method: 'POST', body: { email: email.trim() } });
      request.hidden = true;
      done.append(alertBox('Hvis det finnes en konto med denne adressen, har vi sendt en e-post med en lenke for å lage nytt passord. Lenken virker en kort stund.', 'success'));
    },
  });
  render('Glemt passordet',
    h('p', {}, 'Skriv e-postadressen din, så sender vi deg en lenke for å lage et nytt passord.'),
    request, done,
    h('p', {}, h('a', { href: '/sign-in' }, 'Tilbake til innlogging')));
}

/**
 * A one-time sign-in link by mail. Without a token: ask for one. With a token: sign in when the
 * person presses the button (not on opening, so a mail filter that follows links spends nothing).
 */
export function signInLink(query) {
  const token = query.get('token');
  if (!token) {
    const done = h('div', { 'aria-live': 'polite' });
    const request = form({
      label: 'Be om innloggingslenke',
      fields: [field({ id: 'email', label: 'E-post', type: 'email', autocomplete: 'username', required: true })],
      submit: 'Send lenke',
      action: async ({ email }) => {
        await api('/auth/sign-in-link', { method: 'POST', body: { email: email.trim() } });
        request.hidden = true;
        done.append(alertBox('Hvis det finnes en konto med denne adressen, har vi sendt en e-post med en lenke for å logge inn. Lenken virker i 15 minutter og kan brukes én gang.', 'success'));
      },
    });
    return render('Logg inn med lenke',
      h('p', {}, 'Skriv e-postadressen din, så sender vi deg en lenke som logger deg inn uten passord. Det virker også når kontoen er sperret etter for mange feil passord.'),
      request, done,
      h('p', {}, h('a', { href: '/sign-in' }, 'Tilbake til innlogging')));
  }
  render('Logg inn med lenke',
    h('p', {}, 'Trykk på knappen for å logge inn. Lenken kan brukes én gang.'),
    form({
      label: 'Logg inn med lenken',
      fields: [],
      submit: 'Logg inn',
      action: async () => {
        keepTokens(await api('/auth/sign-in-link/confirm', { method: 'POST', body: { token } }));
        signedInHandler();
        go('/', { replace: true });
      },
    }),
    h('p', {}, h('a', { href: '/sign-in-link' }, 'Be om en ny lenke')));
}

function missingToken() {
  render('Lenken mangler noe',
    alertBox('Lenken er ufullstendig. Åpne den på nytt fra e-posten, eller kopier hele adressen.'),
    h('p', {}, h('a', { href: '/sign-in' }, 'Til innlogging')));
}

export function resetPassword(query) {
  const token = query.get('token');
  if (!token) return missingToken();
  const done = h('div', { 'aria-live': 'polite' });
  const reset = form({
    label: 'Lag nytt passord',
    fields: newPasswordFields(),
    submit: 'Lagre nytt passord',
    describe: mismatchOr(explain),
    action: async (values) => {
      samePasswords(values);
      await api('/auth/password-reset/confirm', { method: 'POST', body: { token, password: values.password } });
      reset.hidden = true;
      done.append(alertBox('Passordet er endret.', 'success'), h('p', {}, h('a', { href: '/sign-in' }, 'Logg inn med det nye passordet')));
    },
  });
  render('Lag nytt passord', reset, done);
}

export function acceptInvitation(query) {
  const token = query.get('token');
  if (!token) return missingToken();
  render('Velkommen som mentor',
    h('p', { class: 'lead' }, 'Du er invitert til mentoropplæringen. Skriv navnet ditt og velg et passord, så er kontoen klar.'),
    form({
      label: 'Godta invitasjonen',
      fields: [field({ id: 'name', label: 'Fullt navn', autocomplete: 'name', required: true, maxlength: 200 }), ...newPasswordFields()],
      submit: 'Opprett konto',
      describe: mismatchOr((error) => {
        if (!(error instanceof ApiError)) return explain(error);
        if (error.code === 'already_a_user') return 'Det finnes allerede en konto med denne e-postadressen. Logg inn i stedet, eller be om nytt passord.';
        return explain(error);
      }),
      action: async (values) => {
        samePasswords(values);
        keepTokens(await api('/auth/invitations/accept', { method: 'POST', body: { token, name: values.name.trim(), password: values.password } }));
        signedInHandler();
        go('/', { replace: true });
      },
    }));
}

export function verifyEmail(query) {
  const token = query.get('token');
  if (!token) return missingToken();
  const done = h('div', { 'aria-live': 'polite' });
  const confirm = form({
    label: 'Bekreft e-postadressen',
    fields: [field({ id: 'password', label: 'Passordet du valgte', type: 'password', autocomplete: 'current-password', required: true })],
    submit: 'Bekreft',
    describe: (error) => {
      if (!(error instanceof ApiError)) return explain(error);
      if (error.code === 'validation_failed') return 'Passordet er ikke det du valgte da du meldte deg på. Prøv igjen, eller meld deg på på nytt for å velge et annet.';
      if (error.code === 'invitation_pending') return 'Adressen din er invitert til opplæringen. Bruk lenken i invitasjonen for å lage kontoen.';
      if (error.code === 'already_a_user') return 'Det finnes allerede en konto med denne adressen. Logg inn i stedet.';
      return explain(error);
    },
    action: async ({ password }) => {
      await api('/auth/verify-email', { method: 'POST', body: { token, password } });
      confirm.hidden = true;
      done.append(alertBox('E-postadressen er bekreftet, og kontoen er klar.', 'success'), h('p', {}, h('a', { href: '/sign-in' }, 'Logg inn')));
    },
  });
  render('Bekreft e-postadressen',
    h('p', { class: 'lead' }, 'Skriv passordet du valgte da du meldte deg på, så er kontoen klar.'),
    confirm, done);
}
