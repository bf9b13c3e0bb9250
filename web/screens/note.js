// The reflection note: the entry ticket to the webinars. Drafts save themselves while the mentor
// writes; submitting needs the whole path done and at least 300 characters.

import { ApiError, api } from '../api.js';
import { autosave } from '../autosave.js';
import { alertBox, explain, formatDate, h, render } from '../ui.js';

const MIN_LENGTH = 300;

function statusText(note) {
  if (note.status === 'submitted') {
    const when = note.submitted_at ? ` ${formatDate(note.submitted_at)}` : '';
    return note.has_unsubmitted_draft
      ? `Sendt inn${when}. Utkast lagret med endringer som ikke er sendt inn; det innsendte notatet gjelder fortsatt.`
      : `Sendt inn${when}. Du kan fortsatt endre teksten og sende inn på nytt.`;
  }
  return note.status === 'draft' ? 'Utkast lagret, ikke sendt inn.' : 'Ikke påbegynt.';
}

/** Pages left of the learning path (modules done or skipped have none left). */
function pagesLeft(path) {
  return path.modules
    .filter((m) => m.status !== 'completed' && m.status !== 'skipped')
    .flatMap((m) => m.pages)
    .filter((p) => p.status !== 'completed').length;
}

export async function noteScreen() {
  const [note, path] = await Promise.all([api('/me/reflection-note'), api('/path')]);
  const state = h('p', { class: 'note-state', id: 'note-state' }, statusText(note));
  const status = h('p', { class: 'save-status', id: 'note-save', role: 'status', 'aria-live': 'polite' });
  const counter = h('p', { class: 'hint', id: 'note-count' });
  const textarea = h('textarea', { id: 'note', rows: 14, maxlength: 20000, 'aria-describedby': 'note-hint note-count note-save' });
  const count = (text) => {
    const length = [...text].length;
    counter.textContent = length >= MIN_LENGTH
      ? `${length} tegn.`
      : `${length} tegn. Minst ${MIN_LENGTH} tegn for å sende inn (${MIN_LENGTH - length} igjen).`;
  };
  const saver = autosave({
    textarea,
    status,
    key: '/me/reflection-note',
    saved: note.body || '',
    savedAt: note.updated_at,
    save: (body) => api('/me/reflection-note', { method: 'PUT', body: { body } }),
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
        result.append(alertBox(`Notatet må ha minst ${MIN_LENGTH} tegn før du sender det inn.`));
        return;
      }
      submit.disabled = true;
      try {
        await saver.flush();
        if (saver.unsaved) throw new TypeError('not saved');
        const submitted = await api('/me/reflection-note/submit', { method: 'POST', body: {} });
        state.textContent = statusText({ ...submitted, status: 'submitted', has_unsubmitted_draft: false });
        result.append(alertBox('Notatet er sendt inn. Nå kan du melde deg på en webinarserie.', 'success'),
          h('p', {}, h('a', { class: 'button primary', href: '/webinars' }, 'Se webinarseriene')));
      } catch (error) {
        const text = error instanceof ApiError && error.code === 'path_not_completed'
          ? 'Du kan sende inn notatet når hele læringsstien er fullført. Utkastet ditt er lagret.'
          : error instanceof ApiError && error.code === 'validation_failed'
            ? `Notatet må ha minst ${MIN_LENGTH} tegn.`
            : explain(error);
        result.append(alertBox(text));
      } finally {
        submit.disabled = !pathDone;
      }
    },
  }, 'Send inn notatet');

  // Submitting waits for the whole path; the button says why until then, and wakes up when
  // the mentor comes back from finishing the path in another tab or window.
  let pathDone = path.completed;
  // The sentence changes in place: the link in it keeps focus while the screen checks again.
  const reasonText = document.createTextNode('');
  const reason = h('p', { class: 'hint', id: 'note-submit-reason' }, reasonText, h('a', { href: '/path' }, 'Fortsett på læringsstien'));
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
    reasonText.data = `Du kan sende inn notatet når hele læringsstien er fullført${left ? ` (${left} ${left === 1 ? 'side' : 'sider'} igjen)` : ''}. `;
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
      showSubmittable(await api('/path'));
    } catch {
      // Offline: the next return to the screen checks again.
    }
  };
  window.addEventListener('focus', recheck);
  document.addEventListener('visibilitychange', recheck);

  render('Refleksjonsnotat',
    h('p', { class: 'lead' }, 'Notatet er billetten din til webinarene i modul 5. Skriv om hva du har lært, og hva du vil ta med deg inn i rollen som mentor.'),
    state,
    h('div', { class: 'field' },
      h('label', { for: 'note' }, 'Notatet ditt'),
      h('p', { class: 'hint', id: 'note-hint' }, 'Du kan skrive utkast når du vil; teksten lagres mens du skriver. Du kan sende inn når læringsstien er fullført.'),
      textarea, counter, status),
    result,
    h('div', { class: 'note-submit' }, submit, reason));
}
