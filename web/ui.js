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

/**
 * Replaces the main area with a screen titled `title`. After a navigation inside the client,
 * focus moves to the new heading (so screen readers announce it); on a fresh load it stays at
 * the top, so the first Tab reaches the skip link.
 */
export function render(title, ...children) {
  document.title = `${title} – Mentoropplæring`;
  const main = document.getElementById('main');
  const heading = h('h1', { tabindex: '-1' }, title);
  main.replaceChildren(heading, ...children.flat().filter(Boolean));
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

/**
 * A form whose submit runs `action(values)`; while it runs the button is disabled, and an
 * error (from `explain`, or what `describe` makes of it) is shown above the button.
 */
export function form({ fields, submit, action, describe = explain, label }) {
  const errorArea = h('div', { class: 'form-error' });
  const button = h('button', { type: 'submit', class: 'primary' }, submit);
  const element = h('form', { novalidate: true, 'aria-label': label }, ...fields, errorArea, button);
  element.addEventListener('submit', async (event) => {
    event.preventDefault();
    errorArea.replaceChildren();
    const invalid = [...element.elements].find((input) => input.willValidate && !input.checkValidity());
    if (invalid) {
      const name = element.querySelector(`label[for="${invalid.id}"]`)?.textContent || 'Feltet';
      errorArea.append(alertBox(`${name}: ${invalid.validationMessage}`));
      invalid.focus();
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
