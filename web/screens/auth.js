// The screens anyone may open without an account: signing in (with a password, a link by
// mail or a sign-in provider such as ID-porten), accepting an invitation, resetting a password,
// confirming an email address, and checking a certificate. Emails link to /invitation,
// /reset-password, /sign-in-link and /verify-email with ?token=; a certificate to
// /certificate/<code>; a provider's sign-in comes back to /sign-in/complete.
// A link from an email is checked as its screen opens (without spending it), so a used,
// replaced or expired one says so at once, with the way on, instead of after a filled-in form.

import { ApiError, api, isSignedIn, keepTokens } from '../api.js';
import { t } from '../i18n.js';
import { alertBox, explain, field, form, formatDate, go, h, parts, render, showOnNextScreen } from '../ui.js';

let signedInHandler = () => {};
export function onSignedIn(handler) {
  signedInHandler = handler;
}

/** Keeps the token pair a sign-in gave (of any kind) and goes where the person was going. */
function signedIn(pair, next) {
  keepTokens(pair);
  signedInHandler();
  go(safeNext(next), { replace: true });
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

function newPasswordFields() {
  return [
    field({ id: 'password', label: t('Nytt passord'), type: 'password', autocomplete: 'new-password', required: true, minlength: 12, maxlength: 128, hint: t('Minst 12 tegn. En setning du husker, er et godt passord.') }),
    field({ id: 'repeat', label: t('Gjenta passordet'), type: 'password', autocomplete: 'new-password', required: true }),
  ];
}

function samePasswords(values) {
  if (values.password !== values.repeat) throw new Error('mismatch');
}

const mismatchOr = (describe) => (error) =>
  error.message === 'mismatch' ? t('De to passordene er ikke like.') : describe(error);

export async function signIn(query) {
  const providers = await signInProviders();
  render(t('Logg inn'),
    h('p', { class: 'lead' }, t('Velkommen til mentoropplæringen i lindrende behandling.')),
    providerChoice(providers, {
      text: (label) => t('Logg inn med {label}', { label }),
      or: t('eller med e-post og passord'),
      params: { next: safeNext(query.get('next')) },
    }),
    form({
      label: t('Logg inn'),
      fields: [
        field({ id: 'email', label: t('E-post'), type: 'email', autocomplete: 'username', required: true, inputmode: 'email' }),
        field({ id: 'password', label: t('Passord'), type: 'password', autocomplete: 'current-password', required: true }),
      ],
      submit: t('Logg inn'),
      describe: (error) => {
        if (!(error instanceof ApiError)) return explain(error);
        if (error.code === 'unauthorized') return t('E-postadressen eller passordet er feil.');
        if (error.code === 'rate_limited') return t('For mange feil passord for denne kontoen. Vent litt, eller logg inn med en lenke på e-post.');
        return explain(error);
      },
      action: async ({ email, password }) => {
        signedIn(await api('/auth/login', { method: 'POST', body: { email: email.trim(), password } }), query.get('next'));
      },
    }),
    h('p', {}, h('a', { href: '/forgot-password' }, t('Glemt passordet?'))),
    h('p', {}, h('a', { href: '/sign-in-link' }, t('Logg inn med en lenke på e-post'))),
    h('p', { class: 'muted' }, t('Har du fått en invitasjon på e-post? Bruk lenken i e-posten for å lage konto.')));
}

export function forgotPassword() {
  const done = h('div', { 'aria-live': 'polite' });
  const request = form({
    label: t('Be om nytt passord'),
    fields: [field({ id: 'email', label: t('E-post'), type: 'email', autocomplete: 'username', required: true })],
    submit: t('Send lenke'),
    action: async ({ email }) => {
      await api('/auth/password-reset', { method: 'POST', body: { email: email.trim() } });
      request.hidden = true;
      done.append(alertBox(t('Hvis det finnes en konto med denne adressen, har vi sendt en e-post med en lenke for å lage nytt passord. Lenken virker en kort stund.'), 'success'));
    },
  });
  render(t('Glemt passordet'),
    h('p', {}, t('Skriv e-postadressen din, så sender vi deg en lenke for å lage et nytt passord.')),
    request, done,
    h('p', {}, h('a', { href: '/sign-in' }, t('Tilbake til innlogging'))));
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
      label: t('Be om innloggingslenke'),
      fields: [field({ id: 'email', label: t('E-post'), type: 'email', autocomplete: 'username', required: true })],
      submit: t('Send lenke'),
      action: async ({ email }) => {
        await api('/auth/sign-in-link', { method: 'POST', body: { email: email.trim() } });
        request.hidden = true;
        done.append(alertBox(t('Hvis det finnes en konto med denne adressen, har vi sendt en e-post med en lenke for å logge inn. Lenken virker i 15 minutter og kan brukes én gang.'), 'success'));
      },
    });
    return render(t('Logg inn med lenke'),
      h('p', {}, t('Skriv e-postadressen din, så sender vi deg en lenke som logger deg inn uten passord. Det virker også når kontoen er sperret etter for mange feil passord.')),
      request, done,
      h('p', {}, h('a', { href: '/sign-in' }, t('Tilbake til innlogging'))));
  }
  render(t('Logg inn med lenke'),
    h('p', {}, t('Trykk på knappen for å logge inn. Lenken kan brukes én gang.')),
    form({
      label: t('Logg inn med lenken'),
      fields: [],
      submit: t('Logg inn'),
      action: async () => {
        signedIn(await api('/auth/sign-in-link/confirm', { method: 'POST', body: { token } }), '/');
      },
    }),
    h('p', {}, h('a', { href: '/sign-in-link' }, t('Be om en ny lenke'))));
}

function missingToken() {
  render(t('Lenken mangler noe'),
    alertBox(t('Lenken er ufullstendig. Åpne den på nytt fra e-posten, eller kopier hele adressen.')),
    h('p', {}, h('a', { href: '/sign-in' }, t('Til innlogging'))));
}

/** The ways on from a link that cannot be used: each a link styled as a button, the first primary. */
function waysOn(...links) {
  return h('p', { class: 'links-ways' }, links.map(([href, text], i) =>
    h('a', { href, class: `button ${i === 0 ? 'primary' : 'secondary'}` }, text)));
}

const SIGN_IN = () => ['/sign-in', t('Logg inn')];
const NEW_RESET_LINK = () => ['/forgot-password', t('Be om ny lenke')];

/** What to say, and where to go on, for a link from an email that cannot be used. */
const DEAD_LINK = () => ({
  link_used: [t('Lenken er allerede brukt'), t('Lenken er brukt, eller du har bedt om en ny lenke etter denne (da virker bare den nyeste). Be om en ny lenke, eller logg inn hvis du nettopp har valgt nytt passord.')],
  link_expired: [t('Lenken er utløpt'), t('Lenken virker bare en kort stund, og denne er gått ut. Be om en ny lenke, så får du den på e-post med en gang.')],
  link_not_found: [t('Lenken virker ikke'), t('Lenken er ikke gyldig. Kanskje er den ikke kopiert helt, eller du har fått en nyere lenke. Be om en ny lenke.')],
  invitation_used: [t('Invitasjonen er allerede brukt'), t('Kontoen er laget. Logg inn med e-postadressen invitasjonen kom til og passordet du valgte.')],
  invitation_expired: [t('Invitasjonen er utløpt'), t('Invitasjonslenker virker i 14 dager. Be koordinatoren som inviterte deg om å sende invitasjonen på nytt, så får du en ny lenke på e-post.')],
  invitation_replaced: [t('Du har fått en nyere invitasjon'), t('Denne lenken er erstattet av en nyere. Bruk lenken i den nyeste e-posten med invitasjonen.')],
  invitation_withdrawn: [t('Invitasjonen er trukket tilbake'), t('Den som inviterte deg, har trukket tilbake invitasjonen. Spør koordinatoren om du skal ha en ny.')],
  invitation_not_found: [t('Invitasjonslenken virker ikke'), t('Lenken er ikke gyldig. Kanskje er den ikke kopiert helt, eller invitasjonen er sendt på nytt med en ny lenke. Bruk lenken i den nyeste e-posten.')],
});

/** A screen for a link that cannot be used (or a check that failed for another reason). */
function deadLink(error, ways, notFound) {
  // A link cut short (by a line break in the mail, say) is not even a token: it is an unknown link.
  const cut = error instanceof ApiError && error.code === 'validation_failed'
    && (error.problem.errors || []).some((e) => e.field === 'token');
  const code = cut ? notFound : error.code;
  const known = error instanceof ApiError && DEAD_LINK()[code];
  if (!known) {
    return render(t('Lenken kunne ikke sjekkes'), alertBox(explain(error)), waysOn([location.pathname + location.search, t('Prøv igjen')], SIGN_IN()));
  }
  const [title, text] = known;
  return render(title, h('p', { class: 'lead' }, text), waysOn(...ways(code)));
}

/** A read-only field that shows (and tells password managers) which account a password is for. */
const accountField = (email, hint) =>
  field({ id: 'account', label: t('E-post'), type: 'email', value: email, readonly: true, autocomplete: 'username', hint });

export async function resetPassword(query) {
  const token = query.get('token');
  if (!token) return missingToken();
  let link;
  try {
    link = await api('/auth/password-reset/check', { method: 'POST', body: { token } });
  } catch (error) {
    return deadLink(error, () => [NEW_RESET_LINK(), SIGN_IN()], 'link_not_found');
  }
  const done = h('div', { 'aria-live': 'polite' });
  const reset = form({
    label: t('Velg nytt passord'),
    fields: [accountField(link.email, t('Kontoen du velger nytt passord for.')), ...newPasswordFields()],
    submit: t('Lagre nytt passord'),
    describe: mismatchOr((error) => {
      // Spent or replaced while the form was open (another tab, a newer email).
      if (error instanceof ApiError && DEAD_LINK()[error.code]) return [explain(error), ' ', h('a', { href: '/forgot-password' }, t('Be om ny lenke'))];
      return explain(error);
    }),
    action: async (values) => {
      samePasswords(values);
      await api('/auth/password-reset/confirm', { method: 'POST', body: { token, password: values.password } });
      reset.hidden = true;
      done.append(alertBox(t('Passordet er endret.'), 'success'), h('p', {}, h('a', { href: '/sign-in' }, t('Logg inn med det nye passordet'))));
    },
  });
  return render(t('Velg nytt passord'), reset, done);
}

/** The heading and opening of an invitation, by what the account will be. */
function invitationIntro(invitation) {
  if (invitation.role === 'coordinator') {
    return [t('Velkommen som koordinator'), invitation.usht
      ? t('Du er invitert som koordinator for {usht} i mentoropplæringen. Sjekk navnet og velg et passord, så er kontoen klar.', { usht: invitation.usht.name })
      : t('Du er invitert som koordinator i mentoropplæringen. Sjekk navnet og velg et passord, så er kontoen klar.')];
  }
  if (invitation.role === 'mentor') {
    return [t('Velkommen som mentor'), invitation.municipality
      ? t('Du er invitert til mentoropplæringen som mentor i {municipality} kommune. Sjekk navnet og velg et passord, så er kontoen klar.', { municipality: invitation.municipality.name })
      : t('Du er invitert til mentoropplæringen som mentor. Sjekk navnet og velg et passord, så er kontoen klar.')];
  }
  return [t('Velkommen'), t('Du er invitert til mentoropplæringen. Sjekk navnet og velg et passord, så er kontoen klar.')];
}

export async function acceptInvitation(query) {
  const token = query.get('token');
  if (!token) return missingToken();
  let invitation;
  try {
    invitation = await api('/auth/invitations/check', { method: 'POST', body: { token } });
  } catch (error) {
    return deadLink(error, (code) => (code === 'invitation_used' ? [SIGN_IN(), ['/forgot-password', t('Glemt passordet?')]] : [SIGN_IN()]), 'invitation_not_found');
  }
  const [title, lead] = invitationIntro(invitation);
  const providers = await signInProviders();
  return render(title,
    h('p', { class: 'lead' }, lead),
    providerChoice(providers, {
      text: (label) => t('Opprett kontoen med {label}', { label }),
      hint: t('Da trenger du ikke noe passord.'),
      or: t('eller velg et passord'),
      params: { next: '/', invitation: token },
    }),
    form({
      label: t('Godta invitasjonen'),
      fields: [
        accountField(invitation.email, t('Adressen invitasjonen kom til. Du logger inn med den.')),
        field({ id: 'name', label: t('Fullt navn'), autocomplete: 'name', required: true, maxlength: 200, value: invitation.name || undefined, hint: invitation.name ? t('Slik skrev den som inviterte deg navnet ditt. Du kan endre det.') : undefined }),
        ...newPasswordFields(),
      ],
      submit: t('Opprett konto'),
      describe: mismatchOr((error) => {
        if (!(error instanceof ApiError)) return explain(error);
        if (error.code === 'already_a_user') return parts(t('Det finnes allerede en konto med denne e-postadressen. {link} i stedet, eller be om nytt passord.'), { link: h('a', { href: '/sign-in' }, t('Logg inn')) });
        if (DEAD_LINK()[error.code]) return [explain(error), ' ', h('a', { href: '/sign-in' }, t('Logg inn'))];
        return explain(error);
      }),
      action: async (values) => {
        samePasswords(values);
        const name = values.name.trim();
        const pair = await api('/auth/invitations/accept', { method: 'POST', body: { token, name, password: values.password } });
        showOnNextScreen(t('Velkommen, {name}! Kontoen din er klar, og du er logget inn. Her ser du hele opplæringen og hvor du begynner.', { name: name.split(' ')[0] }));
        signedIn(pair, '/');
      },
    }));
}

/**
 * A certificate's verification page, open to anyone with its link or code (an employer, say):
 * name, programme and date, as `GET /certificates/{code}` answers, or that none has the code.
 */
export async function verifyCertificate(code) {
  let certificate = null;
  try {
    certificate = await api(`/certificates/${encodeURIComponent(code)}`);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
  }
  const another = form({
    label: t('Sjekk et annet kursbevis'),
    fields: [field({
      id: 'code', label: t('Kode på kursbeviset'), required: true, autocomplete: 'off', spellcheck: 'false',
      pattern: '\\s*[A-Za-z0-9]{4}(-?[A-Za-z0-9]{4}){3}\\s*', title: t('Koden er fire grupper med fire tegn, for eksempel ABCD-EFGH-JKLM-NPQR.'),
      hint: t('Står på kursbeviset: fire grupper med fire tegn.'),
    })],
    submit: t('Sjekk koden'),
    action: async ({ code: typed }) => {
      const groups = typed.replace(/[^A-Za-z0-9]/g, '').toUpperCase().match(/.{4}/g);
      go(`/certificate/${groups.join('-')}`);
    },
  });
  if (!certificate) {
    return render(t('Fant ikke kursbeviset'),
      h('p', { class: 'lead' }, t('Ingen kursbevis har koden {code}. Sjekk at koden er skrevet av riktig, eller be den som viste deg kursbeviset om lenken.', { code: code.toUpperCase() })),
      h('h2', {}, t('Sjekk en kode')), another);
  }
  if (certificate.status === 'revoked') {
    // A withdrawn certificate names no one: only that it was issued, for what, and withdrawn.
    return render(t('Kursbeviset er trukket tilbake'),
      h('p', { class: 'lead' }, t('Dette kursbeviset ble utstedt av mentoropplæringen, men er trukket tilbake og gjelder ikke lenger.')),
      h('dl', { class: 'card links-certificate' },
        h('dt', {}, t('Opplæring')), h('dd', {}, certificate.programme),
        h('dt', {}, t('Fullført')), h('dd', {}, formatDate(`${certificate.completed_on}T12:00:00Z`)),
        h('dt', {}, t('Trukket tilbake')), h('dd', {}, formatDate(`${certificate.revoked_on}T12:00:00Z`)),
        h('dt', {}, t('Kode')), h('dd', {}, code.toUpperCase())),
      h('h2', {}, t('Sjekk et annet kursbevis')), another);
  }
  return render(t('Kursbeviset er ekte'),
    h('p', { class: 'lead' }, t('Dette kursbeviset er utstedt av mentoropplæringen.')),
    h('dl', { class: 'card links-certificate' },
      h('dt', {}, t('Navn')), h('dd', {}, certificate.name),
      h('dt', {}, t('Opplæring')), h('dd', {}, certificate.programme),
      h('dt', {}, t('Fullført')), h('dd', {}, formatDate(`${certificate.completed_on}T12:00:00Z`)),
      h('dt', {}, t('Kode')), h('dd', {}, code.toUpperCase())),
    h('h2', {}, t('Sjekk et annet kursbevis')), another);
}

export function verifyEmail(query) {
  const token = query.get('token');
  if (!token) return missingToken();
  const done = h('div', { 'aria-live': 'polite' });
  const confirm = form({
    label: t('Bekreft e-postadressen'),
    fields: [field({ id: 'password', label: t('Passordet du valgte'), type: 'password', autocomplete: 'current-password', required: true })],
    submit: t('Bekreft'),
    describe: (error) => {
      if (!(error instanceof ApiError)) return explain(error);
      if (error.code === 'validation_failed') return t('Passordet er ikke det du valgte da du meldte deg på. Prøv igjen, eller meld deg på på nytt for å velge et annet.');
      if (error.code === 'invitation_pending') return t('Adressen din er invitert til opplæringen. Bruk lenken i invitasjonen for å lage kontoen.');
      if (error.code === 'already_a_user') return t('Det finnes allerede en konto med denne adressen. Logg inn i stedet.');
      return explain(error);
    },
    action: async ({ password }) => {
      await api('/auth/verify-email', { method: 'POST', body: { token, password } });
      confirm.hidden = true;
      done.append(alertBox(t('E-postadressen er bekreftet, og kontoen er klar.'), 'success'), h('p', {}, h('a', { href: '/sign-in' }, t('Logg inn'))));
    },
  });
  render(t('Bekreft e-postadressen'),
    h('p', { class: 'lead' }, t('Skriv passordet du valgte da du meldte deg på, så er kontoen klar.')),
    confirm, done);
}

// ---- Signing in with a provider (OpenID Connect: ID-porten, say) ----
// The server runs the whole exchange with the provider; the browser only goes there and back.
// A button starts it with a plain navigation to /api/v1/auth/oidc/<name>/start, the server sends
// the browser on to the provider, and the provider back to the server, which sends it on to
// /sign-in/complete with a one-time code (or with why it refused). The code is worth a token
// pair only together with the cookie the start set (HttpOnly, so this script never sees it).

// A slow answer is not waited for long: the password form must not wait for the buttons.
const PROVIDERS_PATIENCE_MS = 2500;
let offered = null;

/**
 * The providers the service offers, `[{ name, label }]`, asked once per page (they are the
 * server's configuration). None when it offers none or cannot be asked: offline a provider's
 * sign-in could not work anyway.
 */
export async function signInProviders() {
  if (offered) return offered;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), PROVIDERS_PATIENCE_MS);
  try {
    const answer = await api('/auth/oidc/providers', { signal: controller.signal });
    offered = Array.isArray(answer) ? answer : [];
    return offered;
  } catch {
    return [];
  } finally {
    clearTimeout(timer);
  }
}


// The buttons need the network: they are hidden while there is none.
const showProviders = () => {
  for (const choice of document.querySelectorAll('.provider-sign-in')) choice.hidden = !navigator.onLine;
};
window.addEventListener('online', showProviders);
window.addEventListener('offline', showProviders);

/**
 * One button per provider (`text(label)` its words, `hint` under them), then `or` before the
 * password form; nothing when none is offered. `params` go with the start: `next` (where the
 * person was going), `invitation` (its token) or `municipality` (a sign-up's).
 */
function providerChoice(providers, { text, hint, or, params }) {
  if (!providers.length) return null;
  // The server takes a `next` of the client only (not under /api/, at most 512 characters).
  const next = params.next && !params.next.startsWith('/api/') && params.next.length <= 512 ? params.next : '/';
  const query = new URLSearchParams(Object.entries({ ...params, next }).filter(([, value]) => value));
  return h('div', { class: 'provider-sign-in', hidden: !navigator.onLine },
    providers.map((provider) => h('button', {
      type: 'button',
      class: 'primary provider-button',
      'aria-describedby': hint ? 'provider-hint' : undefined,
      // A navigation, not a request: the provider's pages and the redirects back are the browser's.
      onclick: () => location.assign(`/api/v1/auth/oidc/${encodeURIComponent(provider.name)}/start?${query}`),
    }, text(provider.label))),
    hint && h('p', { class: 'hint', id: 'provider-hint' }, hint),
    h('p', { class: 'provider-or' }, or));
}

/** What to say when a provider's sign-in (or linking it to the account) is refused: [title, text]. */
const REFUSED = () => ({
  oidc_cancelled: [t('Innloggingen ble avbrutt'), t('Du avbrøt innloggingen, så du er ikke logget inn, og ingenting er endret. Du kan prøve igjen, eller logge inn med e-post og passord.')],
  identity_not_linked: [t('Innloggingen er ikke koblet til en konto'), t('Vi fant ingen konto i opplæringen som er koblet til denne innloggingen. Har du en konto, logger du inn med e-post og passord og kobler innloggingen til kontoen under Profil. Er du invitert, åpner du lenken i invitasjonen og lager kontoen der.')],
  oidc_level_too_low: [t('Innloggingen er ikke sikker nok'), t('Opplæringen krever en innlogging med høyere sikkerhetsnivå enn den du valgte. Prøv igjen med en annen innloggingsmåte, for eksempel BankID, eller logg inn med e-post og passord.')],
  email_not_provided: [t('Vi fikk ikke e-postadressen din'), t('For å lage en konto trenger vi en bekreftet e-postadresse, og den fikk vi ikke fra innloggingen. Be koordinatoren i kommunen din om en invitasjon på e-post, så kan du lage kontoen fra den.')],
  identity_taken: [t('Innloggingen hører til en annen konto'), t('Denne innloggingen er allerede koblet til en annen konto i opplæringen, og kan ikke kobles til din også. Vil du bruke den her, logger du inn på den andre kontoen og fjerner koblingen der først.')],
  provider_unavailable: [t('Innloggingen er ikke tilgjengelig nå'), t('Vi får ikke kontakt med innloggingstjenesten akkurat nå. Prøv igjen om litt, eller logg inn med e-post og passord.')],
  cross_site_start: [t('Start fra opplæringens egne sider'), t('Av sikkerhetshensyn kan du bare lage en konto med innlogging når du starter fra invitasjonen i opplæringen. Åpne lenken i invitasjonen på e-post, og velg innloggingen der.')],
  already_a_user: [t('Du har allerede en konto'), t('Det finnes allerede en konto med e-postadressen invitasjonen kom til. Logg inn med e-post og passord, og koble innloggingen til kontoen under Profil.')],
});
// A state, token or code that did not hold (too slow, another tab or browser, a reload).
const FAILED = () => [t('Innloggingen gikk ikke'), t('Noe gikk galt underveis, kanskje fordi det tok for lang tid, eller fordi innloggingen ble startet i en annen fane eller nettleser. Prøv igjen.')];

/** The screen for a refused sign-in with a provider, by the server's `code`, with the way back. */
function refused(code) {
  const [title, text] = REFUSED()[code] || DEAD_LINK()[code] || FAILED();
  // Linking is done from the profile, so whoever is signed in goes back there.
  const back = isSignedIn() ? ['/profile', t('Tilbake til profilen')] : ['/sign-in', t('Tilbake til innlogging')];
  return render(title, h('p', { class: 'lead' }, text), waysOn(back));
}

/**
 * Where a provider's sign-in comes back to: `?code=` (a one-time code, exchanged for the token
 * pair, then on to `next`), `?linked=<provider>` (linked to the signed-in account from the
 * profile: back to `next` saying so) or `?error=<code>` (why not).
 */
export async function signInComplete(query) {
  const code = query.get('code');
  const next = safeNext(query.get('next'));
  if (code) {
    // The code leaves the address bar (and so the history and any bookmark) before it is used.
    history.replaceState(null, '', '/sign-in/complete');
    let pair;
    try {
      // Sent with the start's cookie (same-origin), which ties the code to this browser.
      pair = await api('/auth/oidc/exchange', { method: 'POST', body: { code } });
    } catch (error) {
      const why = error instanceof ApiError ? error.code : 'oidc_code_invalid';
      history.replaceState(null, '', `/sign-in/complete?error=${encodeURIComponent(why)}`);
      return refused(why);
    }
    return signedIn(pair, next);
  }
  const linked = query.get('linked');
  if (linked) {
    // Said only of a provider the service offers: a crafted link cannot make up a message.
    const provider = (await signInProviders()).find((p) => p.name === linked);
    if (provider) showOnNextScreen(t('{label} er koblet til kontoen din. Nå kan du logge inn med {label}.', { label: provider.label }));
    go(next, { replace: true });
    return undefined;
  }
  return refused(query.get('error'));
}
