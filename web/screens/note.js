// The reflection note: the entry ticket to the webinars. Drafts save themselves while the mentor
// writes; submitting needs the whole path done and at least 300 characters.

import { ApiError, api } from '../api.js';
import { autosave } from '../autosave.js';
import { t } from '../i18n.js';
import * as outbox from '../outbox.js';
import { alertBox, explain, formatDate, h, render } from '../ui.js';
import { withPending } from './learning.js';

const MIN_LENGTH = 300;

function statusText(note) {
  if (note.status === 'submitted') {
    const date = note.submitted_at && formatDate(note.submitted_at);
    if (note.has_unsubmitted_draft) {
      return date
        ? t('Sendt inn {date}. Utkast lagret med endringer som ikke er sendt inn; det innsendte notatet gjelder fortsatt.', { date })
        : t('Sendt inn. Utkast lagret med endringer som ikke er sendt inn; det innsendte notatet gjelder fortsatt.');
    }
    return date
      ? t('Sendt inn {date}. Du kan fortsatt endre teksten og sende inn på nytt.', { date })
      : t('Sendt inn. Du kan fortsatt endre teksten og sende inn på nytt.');
  }
  return note.status === 'draft' ? t('Utkast lagret, ikke sendt inn.') : t('Ikke påbegynt.');
}

/** Pages left of the learning path (modules done or skipped have none left). */
function pagesLeft(path) {
  return path.modules
    .filter((m) => m.status !== 'completed' && m.status !== 'skipped')
    .flatMap((m) => m.pages)
    .filter((p) => p.status !== 'completed').length;
}

export async function noteScreen() {
  const [note, served, writes] = await Promise.all([api('/me/reflection-note'), api('/path'), outbox.ready()]);
  // Pages completed offline count already (their completions are on their way).
  const path = withPending(served, writes);
  const state = h('p', { class: 'note-state', id: 'note-state' }, statusText(note));
  const status = h('p', { class: 'save-status', id: 'note-save', role: 'status', 'aria-live': 'polite' });
  const counter = h('p', { class: 'hint', id: 'note-count' });
  const textarea = h('textarea', { id: 'note', rows: 14, maxlength: 20000, 'aria-describedby': 'note-hint note-count note-save' });
  const count = (text) => {
    const length = [...text].length;
    counter.textContent = length >= MIN_LENGTH
      ? t('{length} tegn.', { length })
      : t('{length} tegn. Minst {min} tegn for å sende inn ({left} igjen).', { length, min: MIN_LENGTH, left: MIN_LENGTH - length });
  };
  const saver = autosave({
    textarea,
    status,
    key: '/me/reflection-note',
    kind: 'note',
    label: t('Notatet ditt'),
    saved: note.body || '',
    savedAt: note.updated_at,
    // null: no note yet (the first draft is written with If-None-Match: *).
    etag: note.etag,
    bodyOf: (body) => ({ body }),
    onChange: count,
    // The status above the text follows the server: a first save turns "Ikke påbegynt" into a draft.
    onSaved: (saved) => {
      if (saved && saved.status) state.textContent = statusText(saved);
    },
  });
  count(textarea.value);

  const result = h('div', { 'aria-live': 'polite' });
  const submit = h('button', {
    type: 'button', class: 'primary', onclick: async () => {
      result.replaceChildren();
      if ([...textarea.value].length < MIN_LENGTH) {
        result.append(alertBox(t('Notatet må ha minst {min} tegn før du sender det inn.', { min: MIN_LENGTH })));
        return;
      }
      submit.disabled = true;
      try {
        await saver.flush();
        if (saver.unsaved) throw new TypeError('not saved');
        const submitted = await api('/me/reflection-note/submit', { method: 'POST', body: {} });
        state.textContent = statusText({ ...submitted, status: 'submitted', has_unsubmitted_draft: false });
        result.append(alertBox(t('Notatet er sendt inn. Nå kan du melde deg på en webinarserie.'), 'success'),
          h('p', {}, h('a', { class: 'button primary', href: '/webinars' }, t('Se webinarseriene'))));
      } catch (error) {
        const text = error instanceof ApiError && error.code === 'path_not_completed'
          ? t('Du kan sende inn notatet når hele læringsstien er fullført. Utkastet ditt er lagret.')
          : error instanceof ApiError && error.code === 'validation_failed'
            ? t('Notatet må ha minst {min} tegn.', { min: MIN_LENGTH })
            : explain(error);
        result.append(alertBox(text));
      } finally {
        submit.disabled = !pathDone;
      }
    },
  }, t('Send inn notatet'));

  // Submitting waits for the whole path; the button says why until then, and wakes up when
  // the mentor comes back from finishing the path in another tab or window.
  let pathDone = path.completed;
  // The sentence changes in place: the link in it keeps focus while the screen checks again.
  const reasonText = document.createTextNode('');
  const reason = h('p', { class: 'hint', id: 'note-submit-reason' }, reasonText, h('a', { href: '/path' }, t('Fortsett på læringsstien')));
  const showSubmittable = (current) => {
    pathDone = current.completed;
    submit.disabled = !pathDone;
    reason.hidden = pathDone;
    if (pathDone) {
      submit.removeAttribute('aria-describedby');
      return;
    }
    const left = pagesLeft(current);
    submit.setAttribute('aria-describedby', 'note-submit-reason');
    let why = t('Du kan sende inn notatet når hele læringsstien er fullført.');
    if (left === 1) why = t('Du kan sende inn notatet når hele læringsstien er fullført (1 side igjen).');
    else if (left) why = t('Du kan sende inn notatet når hele læringsstien er fullført ({left} sider igjen).', { left });
    reasonText.data = `${why} `;
  };
  showSubmittable(path);
  const recheck = async () => {
    if (!submit.isConnected) {
      window.removeEventListener('focus', recheck);
      document.removeEventListener('visibilitychange', recheck);
      return;
    }
    if (pathDone || document.visibilityState === 'hidden') return;
    try {
      showSubmittable(withPending(await api('/path'), outbox.pending()));
    } catch {
      // Offline: the next return to the screen checks again.
    }
  };
  window.addEventListener('focus', recheck);
  document.addEventListener('visibilitychange', recheck);

  render(t('Refleksjonsnotat'),
    outbox.saveStatus(),
    h('p', { class: 'lead' }, t('Notatet er billetten din til webinarene i modul 5. Skriv om hva du har lært, og hva du vil ta med deg inn i rollen som mentor.')),
    state,
    h('div', { class: 'field' },
      h('label', { for: 'note' }, t('Notatet ditt')),
      h('p', { class: 'hint', id: 'note-hint' }, t('Du kan skrive utkast når du vil; teksten lagres mens du skriver. Du kan sende inn når læringsstien er fullført.')),
      textarea, counter, status),
    result,
    h('div', { class: 'note-submit' }, submit, reason));
}
