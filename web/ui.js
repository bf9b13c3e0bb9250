// Small DOM helpers shared by the screens: element building, rendering a screen, navigation,
// dates in Norwegian time and error messages in the reader's written form.

import { ApiError } from './api.js';
import { dateText, locale, t } from './i18n.js';

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

/**
 * A translated sentence with elements in it: `{name}` in `text` is replaced by `elements.name`
 * (a link, say), so the sentence stays whole in either written form. For `h()`'s children.
 */
export function parts(text, elements) {
  return text.split(/(\{\w+\})/).filter(Boolean).map((piece) => {
    const key = /^\{(\w+)\}$/.exec(piece)?.[1];
    return key && key in elements ? elements[key] : piece;
  });
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
  document.title = t('{title} – Mentoropplæring', { title });
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
export const formatDateTime = (iso) => dateText(
  new Intl.DateTimeFormat(locale(), { timeZone: oslo, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit' }).format(new Date(iso)));
export const formatDate = (iso) =>
  new Intl.DateTimeFormat(locale(), { timeZone: oslo, day: 'numeric', month: 'long', year: 'numeric' }).format(new Date(iso));
export const formatTime = (iso) =>
  new Intl.DateTimeFormat(locale(), { timeZone: oslo, hour: '2-digit', minute: '2-digit' }).format(new Date(iso));

// Read when shown (not when the module loads), so a change of written form is seen at once.
export const STATUS = {
  get locked() { return t('Låst'); },
  get available() { return t('Klar'); },
  get in_progress() { return t('Påbegynt'); },
  get completed() { return t('Fullført'); },
  get skipped() { return t('Hoppet over'); },
  get none() { return t('Ikke påbegynt'); },
  get draft() { return t('Utkast'); },
  get submitted() { return t('Sendt inn'); },
  get confirmed() { return t('Påmeldt'); },
  get waitlisted() { return t('Venteliste'); },
  get cancelled() { return t('Avmeldt'); },
  get not_started() { return t('Ikke startet'); },
  get not_registered() { return t('Ikke påmeldt'); },
  get attended() { return t('Deltatt'); },
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
  get password() { return t('Passordet'); },
  get email() { return t('E-postadressen'); },
  get name() { return t('Navnet'); },
  get token() { return t('Lenken'); },
  get body() { return t('Teksten'); },
  get text() { return t('Svaret'); },
  get number() { return t('Kommunenummeret'); },
  get workplace() { return t('Arbeidsplassen'); },
  get leader_name() { return t('Navnet på lederen'); },
  get leader_email() { return t('E-postadressen til lederen'); },
};

/** A sentence for what went wrong, for a screen or a form. */
export function explain(error) {
  if (!(error instanceof ApiError)) return t('Ingen forbindelse med serveren. Sjekk nettet og prøv igjen.');
  switch (error.code) {
    case 'unauthorized':
      return t('Du er ikke logget inn, eller økten er utløpt. Logg inn igjen.');
    case 'forbidden':
      return t('Du har ikke tilgang til dette.');
    case 'not_found':
      return t('Fant ikke det du så etter.');
    case 'rate_limited':
      return t('For mange forsøk på kort tid. Vent litt og prøv igjen.');
    case 'payload_too_large':
      return t('Teksten er for lang.');
    case 'link_not_found':
      return t('Lenken er ikke gyldig, kanskje fordi du har fått en nyere. Be om en ny lenke.');
    case 'link_used':
      return t('Lenken er allerede brukt, eller du har fått en nyere. Be om en ny lenke.');
    case 'link_expired':
      return t('Lenken er utløpt. Be om en ny lenke.');
    case 'invitation_not_found':
      return t('Invitasjonslenken er ikke gyldig. Har du fått invitasjonen på nytt, bruker du lenken i den nyeste e-posten.');
    case 'invitation_used':
      return t('Invitasjonen er allerede brukt. Logg inn i stedet.');
    case 'invitation_withdrawn':
      return t('Invitasjonen er trukket tilbake. Spør den som inviterte deg, om du skal ha en ny.');
    case 'invitation_replaced':
      return t('Du har fått en nyere invitasjon. Bruk lenken i den nyeste e-posten.');
    case 'invitation_expired':
      return t('Invitasjonen er utløpt. Be koordinatoren om å sende den på nytt.');
    case 'validation_failed': {
      const errors = error.problem.errors || [];
      if (errors.some((e) => e.field === 'password')) {
        return t('Passordet må ha 12–128 tegn og ikke være et vanlig eller lett gjettbart passord. Prøv gjerne en setning du husker.');
      }
      if (errors.some((e) => e.field === 'token')) return t('Lenken er ugyldig eller utløpt.');
      const fields = errors.map((e) => FIELD[e.field]).filter(Boolean);
      return fields.length ? t('Sjekk feltene: {fields}.', { fields: fields.join(', ') }) : t('Noe av det du fylte inn, er ikke gyldig.');
    }
    default:
      return error.status >= 500 ? t('Noe gikk galt på serveren. Prøv igjen om litt.') : t('Det gikk ikke. Prøv igjen.');
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
* Why a field is not valid, in the reader's form, or null when it is. Browsers write their own
 * messages in the language of their menus (often English) and word them for a bubble, so the
 * client never shows `validationMessage`; it reads the `validity` flags and words each one
 * itself. `label` is the field's name as its label says it.
 */
export function validationMessage(input, label = input.labels?.[0]?.textContent?.trim() || input.getAttribute('aria-label') || t('Feltet')) {
  if (!input.willValidate) return null;
  const v = input.validity;
  const name = `«${label}»`;
  const length = input.value?.length ?? 0;
  // A browser checks minlength and maxlength only after typing, not for a value set by a script
  // (a password manager, a restored draft), so the length is checked here too.
  const tooShort = v.tooShort || (input.minLength > 0 && length > 0 && length < input.minLength);
  const tooLong = v.tooLong || (input.maxLength >= 0 && length > input.maxLength);
  const dated = DATE_TYPES.includes(input.type);
  if (v.valueMissing) {
    if (input.type === 'checkbox') return t('Kryss av for {name}.', { name });
    if (input.type === 'radio' || input.tagName === 'SELECT') return t('Velg et svar for {name}.', { name });
    if (input.type === 'file') return t('Velg en fil for {name}.', { name });
    return t('{name} må fylles ut.', { name });
  }
  if (v.badInput) return dated ? t('{name} er ikke en gyldig dato eller tid.', { name }) : t('{name} må være et tall.', { name });
  if (v.typeMismatch) {
    if (input.type === 'email') return t('{name} må være en e-postadresse, for eksempel navn@kommune.no.', { name });
    if (input.type === 'url') return t('{name} må være en nettadresse som begynner med https://.', { name });
    return t('{name} har feil form.', { name });
  }
  if (tooShort) return t('{name} må ha minst {min} tegn. Nå har det {length}.', { name, min: input.minLength, length });
  if (tooLong) return t('{name} kan ha høyst {max} tegn. Nå har det {length}.', { name, max: input.maxLength, length });
  if (v.rangeUnderflow) {
    return dated ? t('{name} kan ikke være før {min}.', { name, min: bound(input, input.min) }) : t('{name} må være minst {min}.', { name, min: input.min });
  }
  if (v.rangeOverflow) {
    return dated ? t('{name} kan ikke være etter {max}.', { name, max: bound(input, input.max) }) : t('{name} kan være høyst {max}.', { name, max: input.max });
  }
  if (v.stepMismatch) return input.type === 'number' ? t('{name} må være et helt tall.', { name }) : t('{name} har en verdi som ikke går an.', { name });
  // A pattern's `title` says in words what the field takes (written by the screen, through t()).
  if (v.patternMismatch) return input.title ? `${name}: ${input.title}` : t('{name} har ikke riktig form.', { name });
  // A screen's own `setCustomValidity` text is already the client's own, after the label.
  if (v.customError) return `${label}: ${input.validationMessage}`;
  return v.valid ? null : t('{name} er ikke fylt ut riktig.', { name });
}

/**
 * A form whose submit runs `action(values)`; while it runs the button is disabled, and an
 * error (from `explain`, or what `describe` makes of it; text or elements) is shown above the
 * button. Fields are checked first, with the client's own messages.
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

/**
 * A button that asks before it acts: the question and a confirming button appear beside it.
 * An error is shown there, as `describe` words it.
 */
export function confirmButton({
  label, question, yes, action, describe = explain, className = 'secondary',
}) {
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
          errorArea.append(alertBox(describe(error) || explain(error)));
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
    }, t('Avbryt')),
    errorArea);
  ask.addEventListener('click', () => {
    panel.hidden = false;
    ask.setAttribute('aria-expanded', 'true');
    panel.querySelector('button').focus();
  });
  wrapper.append(ask, panel);
  return wrapper;
}

/**
 * A modal dialog of `content` with a row of `buttons`, `[label, answer]` (the first is the
 * primary one and has focus); `answer()` gives (or resolves to) what the dialog resolves to
 * when that button is pressed, and Escape resolves to `cancelled`. Focus then goes back to
 * `returnFocus` (by default where it was). Other attributes are the dialog's (its name).
 */
export function modal({
  content, buttons, cancelled = null, returnFocus = document.activeElement, ...attributes
}) {
  const dialog = h('dialog', { class: 'conflict', ...attributes }, content);
  return new Promise((resolve) => {
    const close = (answer) => {
      dialog.close();
      dialog.remove();
      returnFocus?.focus?.();
      resolve(answer);
    };
    const row = buttons.map(([label, answer], i) => h('button', {
      type: 'button', class: i === 0 ? 'primary' : 'secondary', onclick: async () => close(await answer()),
    }, label));
    dialog.append(h('div', { class: 'conflict-actions' }, row));
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      close(cancelled);
    });
    document.body.append(dialog);
    dialog.showModal();
    row[0].focus();
  });
}
