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
      ? `Sendt inn${when}. Du har endringer som ikke er sendt inn; det innsendte notatet gjelder fortsatt.`
      : `Sendt inn${when}. Du kan fortsatt endre teksten og sende inn på nytt.`;
  }
  return note.status === 'draft' ? 'Utkast, ikke sendt inn.' : 'Ikke påbegynt.';
}

export async function noteScreen() {
  const note = await api('/me/reflection-note');
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
        submit.disabled = false;
      }
    },
  }, 'Send inn notatet');

  render('Refleksjonsnotat',
    h('p', { class: 'lead' }, 'Notatet er billetten din til webinarene i modul 5. Skriv om hva du har lært, og hva du vil ta med deg inn i rollen som mentor.'),
    state,
    h('div', { class: 'field' },
      h('label', { for: 'note' }, 'Notatet ditt'),
      h('p', { class: 'hint', id: 'note-hint' }, 'Du kan skrive utkast når du vil; teksten lagres mens du skriver. Du kan sende inn når læringsstien er fullført.'),
      textarea, counter, status),
    result,
    submit);
}
