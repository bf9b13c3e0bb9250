// Small DOM helpers shared by the screens: element building, rendering a screen, navigation,
// dates in Norwegian time and error messages in bokmål.

import { ApiError } from './api.js';

/** Builds an element; strings become text nodes (never HTML), `on*` attributes listeners. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else if (name === 'text') element.textContent = value;
    else element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

let navigateHandler = () => {};
export function onNavigate(handler) {
  navigateHandler = handler;
}

/** Goes to a client path without reloading. */
export function go(url, { replace = false } = {}) {
  history[replace ? 'replaceState' : 'pushState'](null, '', url);
  navigateHandler();
}

let firstScreen = true;
let welcome = null;

/**
 * A confirmation for the next screen drawn (after a navigation), shown under its heading: "the
 * account is ready" belongs on the start page the person lands on, not on the form they left.
 */
export function showOnNextScreen(text) {
  welcome = text;
}

/**
 * Replaces the main area with a screen titled `title`. After a navigation inside the client,
 * focus moves to the new heading (so screen readers announce it); on a fresh load it stays at
 * the top, so the first Tab reaches the skip link.
 */
export function render(title, ...children) {
  document.title = `${title} – Mentoropplæring`;
  const main = document.getElementById('main');
  const heading = h('h1', { tabindex: '-1' }, title);
  const message = welcome && alertBox(welcome, 'success');
  welcome = null;
  main.replaceChildren(...[heading, message, ...children.flat()].filter(Boolean));
  if (!firstScreen) heading.focus({ preventScroll: true });
  firstScreen = false;
  window.scrollTo({ top: 0, behavior: 'instant' });
  return main;
}

const oslo = 'Europe/Oslo';
export const formatDateTime = (iso) =>
  new Intl.DateTimeFormat('nb-NO', { timeZone: oslo, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
export const formatDate = (iso) =>
  new Intl.DateTimeFormat('nb-NO', { timeZone: oslo, day: 'numeric', month: 'long', year: 'numeric' }).format(new Date(iso));
export const formatTime = (iso) =>
  new Intl.DateTimeFormat('nb-NO', { timeZone: oslo, hour: '2-digit', minute: '2-digit' }).format(new Date(iso));

export const STATUS = {
  locked: 'Låst',
  available: 'Klar',
  in_progress: 'Påbegynt',
  completed: 'Fullført',
  skipped: 'Hoppet over',
  none: 'Ikke påbegynt',
  draft: 'Utkast',
  submitted: 'Sendt inn',
  confirmed: 'Påmeldt',
  waitlisted: 'Venteliste',
  cancelled: 'Avmeldt',
  not_started: 'Ikke startet',
  not_registered: 'Ikke påmeldt',
  attended: 'Deltatt',
};

// A session's "Bli med" link shows from this long before it starts until it ends: early enough
// to test sound and picture, late enough to be the session about to happen.
export const JOIN_OPENS_MINUTES = 30;

/** A session one can join now (or very soon): not cancelled, with a link, near in time. */
export function joinable(session, now = Date.now()) {
  return Boolean(session.join_url) && !session.cancelled
    && now >= Date.parse(session.starts_at) - JOIN_OPENS_MINUTES * 60000
    && now < Date.parse(session.ends_at);
}

export const badge = (status) => h('span', { class: `badge badge-${status}` }, STATUS[status] || status);

const FIELD = {
  password: 'Passordet',
  email: 'E-postadressen',
  name: 'Navnet',
  token: 'Lenken',
  body: 'Teksten',
  text: 'Svaret',
  number: 'Kommunenummeret',
};

/** A bokmål sentence for what went wrong, for a screen or a form. */
export function explain(error) {
  if (!(error instanceof ApiError)) return 'Ingen forbindelse med serveren. Sjekk nettet og prøv igjen.';
  switch (error.code) {
    case 'unauthorized':
      return 'Du er ikke logget inn, eller økten er utløpt. Logg inn igjen.';
    case 'forbidden':
      return 'Du har ikke tilgang til dette.';
    case 'not_found':
      return 'Fant ikke det du så etter.';
    case 'rate_limited':
      return 'For mange forsøk på kort tid. Vent litt og prøv igjen.';
    case 'payload_too_large':
      return 'Teksten er for lang.';
    case 'link_not_found':
      return 'Lenken er ikke gyldig, kanskje fordi du har fått en nyere. Be om en ny lenke.';
    case 'link_used':
      return 'Lenken er allerede brukt, eller du har fått en nyere. Be om en ny lenke.';
    case 'link_expired':
      return 'Lenken er utløpt. Be om en ny lenke.';
    case 'invitation_not_found':
      return 'Invitasjonslenken er ikke gyldig. Har du fått invitasjonen på nytt, bruker du lenken i den nyeste e-posten.';
    case 'invitation_used':
      return 'Invitasjonen er allerede brukt. Logg inn i stedet.';
    case 'invitation_withdrawn':
      return 'Invitasjonen er trukket tilbake. Spør den som inviterte deg, om du skal ha en ny.';
    case 'invitation_replaced':
      return 'Du har fått en nyere invitasjon. Bruk lenken i den nyeste e-posten.';
    case 'invitation_expired':
      return 'Invitasjonen er utløpt. Be koordinatoren om å sende den på nytt.';
    case 'validation_failed': {
      const errors = error.problem.errors || [];
      if (errors.some((e) => e.field === 'password')) {
        return 'Passordet må ha 12–128 tegn og ikke være et vanlig eller lett gjettbart passord. Prøv gjerne en setning du husker.';
      }
      if (errors.some((e) => e.field === 'token')) return 'Lenken er ugyldig eller utløpt.';
      const fields = errors.map((e) => FIELD[e.field]).filter(Boolean);
      return fields.length ? `Sjekk feltene: ${fields.join(', ')}.` : 'Noe av det du fylte inn, er ikke gyldig.';
    }
    default:
      return error.status >= 500 ? 'Noe gikk galt på serveren. Prøv igjen om litt.' : 'Det gikk ikke. Prøv igjen.';
  }
}

/** A paragraph announced to screen readers, for errors and confirmations. */
export const alertBox = (text, kind = 'error') => h('p', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);

/** A text field with its label (and optional hint tied to it). */
export function field({ id, label, type = 'text', hint, ...attributes }) {
  const hintId = hint ? `${id}-hint` : undefined;
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    hint && h('p', { class: 'hint', id: hintId }, hint),
    h('input', { id, name: id, type, 'aria-describedby': hintId, ...attributes }));
}

const DATE_TYPES = ['date', 'datetime-local', 'month', 'week', 'time'];

/** A bound of a field (`min`, `max`) as a person reads it. */
function bound(input, value) {
  if (input.type === 'date') return formatDate(`${value}T12:00:00Z`);
  if (input.type === 'datetime-local') return formatDateTime(new Date(value).toISOString());
  return value;
}

/**
 * Why a field is not valid, in bokmål, or null when it is. Browsers write their own messages in
 * the language of their menus (often English) and word them for a bubble, so the client never
 * shows `validationMessage`; it reads the `validity` flags and words each one itself. `label` is
 * the field's name as its label says it.
 */
export function validationMessage(input, label = input.labels?.[0]?.textContent?.trim() || input.getAttribute('aria-label') || 'Feltet') {
  if (!input.willValidate) return null;
  const v = input.validity;
  const name = `«${label}»`;
  const length = input.value?.length ?? 0;
  // A browser checks minlength and maxlength only after typing, not for a value set by a script
  // (a password manager, a restored draft), so the length is checked here too.
  const tooShort = v.tooShort || (input.minLength > 0 && length > 0 && length < input.minLength);
  const tooLong = v.tooLong || (input.maxLength >= 0 && length > input.maxLength);
  if (v.valueMissing) {
    if (input.type === 'checkbox') return `Kryss av for ${name}.`;
    if (input.type === 'radio' || input.tagName === 'SELECT') return `Velg et svar for ${name}.`;
    if (input.type === 'file') return `Velg en fil for ${name}.`;
    return `${name} må fylles ut.`;
  }
  if (v.badInput) return DATE_TYPES.includes(input.type) ? `${name} er ikke en gyldig dato eller tid.` : `${name} må være et tall.`;
  if (v.typeMismatch) {
    if (input.type === 'email') return `${name} må være en e-postadresse, for eksempel navn@kommune.no.`;
    if (input.type === 'url') return `${name} må være en nettadresse som begynner med https://.`;
    return `${name} har feil form.`;
  }
  if (tooShort) return `${name} må ha minst ${input.minLength} tegn. Nå har det ${length}.`;
  if (tooLong) return `${name} kan ha høyst ${input.maxLength} tegn. Nå har det ${length}.`;
  if (v.rangeUnderflow) return DATE_TYPES.includes(input.type) ? `${name} kan ikke være før ${bound(input, input.min)}.` : `${name} må være minst ${input.min}.`;
  if (v.rangeOverflow) return DATE_TYPES.includes(input.type) ? `${name} kan ikke være etter ${bound(input, input.max)}.` : `${name} kan være høyst ${input.max}.`;
  if (v.stepMismatch) return input.type === 'number' ? `${name} må være et helt tall.` : `${name} har en verdi som ikke går an.`;
  // A pattern's `title` says in words what the field takes (written by the screen, in bokmål).
  if (v.patternMismatch) return input.title ? `${name}: ${input.title}` : `${name} har ikke riktig form.`;
  // A screen's own `setCustomValidity` text is already the client's own, after the label.
  if (v.customError) return `${label}: ${input.validationMessage}`;
  return v.valid ? null : `${name} er ikke fylt ut riktig.`;
}

/**
 * A form whose submit runs `action(values)`; while it runs the button is disabled, and an
 * error (from `explain`, or what `describe` makes of it; text or elements) is shown above the
 * button. Fields are checked first, with the client's own bokmål messages.
 */
export function form({ fields, submit, action, describe = explain, label }) {
  const errorArea = h('div', { class: 'form-error' });
  const button = h('button', { type: 'submit', class: 'primary' }, submit);
  const element = h('form', { novalidate: true, 'aria-label': label }, ...fields, errorArea, button);
  // A field marked wrong is unmarked as soon as it is changed.
  element.addEventListener('input', (event) => event.target.removeAttribute?.('aria-invalid'));
  element.addEventListener('submit', async (event) => {
    event.preventDefault();
    errorArea.replaceChildren();
    const problems = [...element.elements]
      .map((input) => ({ input, message: validationMessage(input) }))
      .filter((p) => p.message);
    for (const { input } of problems) input.setAttribute('aria-invalid', 'true');
    if (problems.length) {
      errorArea.append(alertBox(problems[0].message));
      problems[0].input.focus();
      return;
    }
    const values = Object.fromEntries(new FormData(element));
    button.disabled = true;
    try {
      await action(values);
    } catch (error) {
      errorArea.append(alertBox(describe(error) || explain(error)));
    } finally {
      button.disabled = false;
    }
  });
  return element;
}

/** A button that asks before it acts: the question and a confirming button appear beside it. */
export function confirmButton({ label, question, yes, action, className = 'secondary' }) {
  const wrapper = h('div', { class: 'confirm' });
  const ask = h('button', { type: 'button', class: className, 'aria-expanded': 'false' }, label);
  const errorArea = h('div');
  const panel = h('div', { class: 'confirm-panel', hidden: true },
    h('p', {}, question),
    h('button', {
      type: 'button', class: 'primary', onclick: async (event) => {
        event.target.disabled = true;
        errorArea.replaceChildren();
        try {
          await action();
        } catch (error) {
          errorArea.append(alertBox(explain(error)));
        } finally {
          event.target.disabled = false;
        }
      },
    }, yes),
    h('button', {
      type: 'button', class: 'link', onclick: () => {
        panel.hidden = true;
        ask.setAttribute('aria-expanded', 'false');
        ask.focus();
      },
    }, 'Avbryt'),
    errorArea);
  ask.addEventListener('click', () => {
    panel.hidden = false;
    ask.setAttribute('aria-expanded', 'true');
    panel.querySelector('button').focus();
  });
  wrapper.append(ask, panel);
  return wrapper;
}
