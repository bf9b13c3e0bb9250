// Inviting mentors to a municipality, by pasting addresses or uploading a CSV file, and the
// invitations sent: who has not answered, resending, and withdrawing one that is pending.

import { api } from '../../api.js';
import { t } from '../../i18n.js';
import { alertBox, confirmButton, explain, formatDate, go, h, render } from '../../ui.js';
import {
  allPages, choice, chosenLanguage, dataTable, label, languageChoice, languageMark, scopeOf,
} from './common.js';

/** Why an invitee was skipped, in words (the server's English message for a reason not known here). */
const skippedReason = (skipped) => ({
  invalid_email: t('ikke en gyldig e-postadresse'),
  invalid_name: t('navnet er for langt eller har tegn som ikke kan brukes'),
  duplicate_in_file: t('står flere ganger i listen'),
  already_a_user: t('har allerede en konto'),
  already_invited: t('er allerede invitert'),
  malformed_row: t('linjen kunne ikke leses'),
})[skipped.reason] || skipped.message;

/**
 * The people in a pasted text: one per line, as `address` or `Name <address>`; commas and
 * semicolons also separate (as when a list is copied out of an email program).
 */
export function parseInvitees(text) {
  return text.split(/[\n;,]+/).map((line) => line.trim()).filter(Boolean).map((line) => {
    const named = /^"?([^"<]*?)"?\s*<([^>]+)>$/.exec(line);
    if (named) return named[1].trim() ? { email: named[2].trim(), name: named[1].trim() } : { email: named[2].trim() };
    return { email: line };
  });
}

function outcome(result, source) {
  const created = result.created || [];
  const skipped = result.skipped || [];
  const line = (s) => {
    const values = { email: s.email || t('(tom)'), row: s.row, reason: skippedReason(s) };
    return source === 'csv' ? t('{email} (linje {row}): {reason}', values) : t('{email} (nr. {row}): {reason}', values);
  };
  return h('div', { class: 'outcome', role: 'status' },
    h('p', {}, created.length === 1 ? t('1 invitasjon er sendt.') : t('{count} invitasjoner er sendt.', { count: created.length })),
    created.length > 0 && h('ul', {}, created.map((c) => h('li', {}, c.email))),
    skipped.length > 0 && h('div', {},
      h('p', {}, skipped.length === 1 ? t('1 ble hoppet over:') : t('{count} ble hoppet over:', { count: skipped.length })),
      h('ul', {}, skipped.map((s) => h('li', {}, line(s))))));
}

export async function invitationsScreen(query) {
  const scope = await scopeOf(query, (usht) => go(`/coordinator/invitations?usht=${usht}`));
  const municipalities = await allPages(`/admin/municipalities${scope.filter('?')}`);
  if (!municipalities.length) {
    render(t('Invitasjoner'), scope.picker,
      h('p', {}, t('Meld inn en kommune først; invitasjonene gjelder en kommune.')),
      h('p', {}, h('a', { href: `/coordinator/municipalities${scope.keep}` }, t('Meld inn en kommune'))));
    return;
  }
  const chosen = municipalities.find((m) => m.id === query.get('municipality')) || municipalities[0];
  const select = h('select', { id: 'municipality' }, municipalities.map((m) => h('option', { value: m.id, selected: m.id === chosen.id }, `${m.name} (${m.number})`)));

  const listArea = h('div');
  const filter = h('select', { id: 'status-filter', onchange: () => showList() },
    h('option', { value: '' }, t('Alle')),
    ['pending', 'expired', 'accepted'].map((s) => h('option', { value: s }, label('invitation', s))));

  // Only the newest request's answer is drawn (the filter may change while one is on its way).
  let latest = 0;
  async function showList(notice) {
    const asked = ++latest;
    const status = filter.value ? `&status=${filter.value}` : '';
    let invitations;
    try {
      invitations = await allPages(`/admin/invitations?municipality_id=${chosen.id}${status}`);
    } catch (error) {
      if (asked === latest) listArea.replaceChildren(alertBox(explain(error)));
      return;
    }
    if (asked !== latest) return;
    const actions = (invitation) => {
      const area = h('div', { class: 'row-actions' });
      if (invitation.status !== 'accepted') {
        area.append(h('button', {
          type: 'button', class: 'secondary', 'aria-label': t('Send på nytt til {email}', { email: invitation.email }), onclick: async (event) => {
            event.target.disabled = true;
            try {
              await api(`/admin/invitations/${invitation.id}/resend`, { method: 'POST', body: {} });
              await showList(alertBox(t('Invitasjonen er sendt på nytt til {email}.', { email: invitation.email }), 'success'));
            } catch (error) {
              event.target.disabled = false;
              area.append(alertBox(explain(error)));
            }
          },
        }, t('Send på nytt')));
      }
      if (invitation.status === 'pending') {
        area.append(confirmButton({
          label: t('Trekk tilbake'),
          question: t('Trekke tilbake invitasjonen til {email}? Lenken i e-posten slutter å virke.', { email: invitation.email }),
          yes: t('Ja, trekk tilbake'),
          action: async () => {
            await api(`/admin/invitations/${invitation.id}`, { method: 'DELETE' });
            await showList(alertBox(t('Invitasjonen til {email} er trukket tilbake.', { email: invitation.email }), 'success'));
          },
        }));
      }
      return area;
    };
    listArea.replaceChildren(notice || '', invitations.length
      ? dataTable({
        id: 'invitations',
        sticky: false,
        caption: t('Invitasjoner i {municipality}', { municipality: chosen.name }),
        columns: [['email', t('E-post')], ['name', t('Navn')], ['status', t('Status')], ['sent_at', t('Sist sendt')], ['expires_at', t('Utløper')], ['actions', t('Handling')]],
        rows: invitations,
        cell: (key, i) => {
          // An invitation sent in nynorsk says so beside its address; bokmål is the default.
          if (key === 'email') return [i.email, languageMark(i) && ' ', languageMark(i)];
          if (key === 'status') return h('span', { class: `badge badge-invitation-${i.status}` }, label('invitation', i.status));
          if (key === 'sent_at') {
            return i.send_count > 1
              ? t('{date} ({count}. gang)', { date: formatDate(i.sent_at), count: i.send_count })
              : formatDate(i.sent_at);
          }
          if (key === 'expires_at') return i.status === 'accepted' ? '–' : formatDate(i.expires_at);
          if (key === 'actions') return actions(i);
          return i[key] || '–';
        },
      })
      : h('p', { class: 'muted' }, filter.value ? t('Ingen invitasjoner med denne statusen.') : t('Ingen invitasjoner ennå.')));
    // The button that was pressed is gone with the old table: focus goes to what it did.
    if (notice) {
      notice.setAttribute('tabindex', '-1');
      notice.focus();
    }
  }

  const result = h('div');
  const pasted = h('textarea', { id: 'invitees', name: 'invitees', rows: '6', 'aria-describedby': 'invitees-hint' });
  const pasteButton = h('button', { type: 'submit', class: 'primary' }, t('Send invitasjoner'));
  const pasteForm = h('form', { novalidate: true },
    h('div', { class: 'field' },
      h('label', { for: 'invitees' }, t('E-postadresser')),
      h('p', { class: 'hint', id: 'invitees-hint' }, t('Én per linje, gjerne med navn: Kari Nordmann <kari@kommune.no>')),
      pasted),
    languageChoice('paste-language'),
    pasteButton);
  pasteForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    result.replaceChildren();
    const invitees = parseInvitees(pasted.value);
    if (!invitees.length) {
      result.append(alertBox(t('Skriv eller lim inn minst én e-postadresse.')));
      pasted.focus();
      return;
    }
    if (invitees.length > 100) {
      result.append(alertBox(t('Det er {count} adresser. Send høyst 100 om gangen, eller last opp en CSV-fil.', { count: invitees.length })));
      return;
    }
    pasteButton.disabled = true;
    try {
      const language = chosenLanguage(pasteForm, 'paste-language');
      const answer = await api('/admin/invitations', { method: 'POST', body: { municipality_id: chosen.id, invitees, language } });
      result.append(outcome(answer, 'paste'));
      if (answer.created.length) pasted.value = '';
      await showList();
    } catch (error) {
      result.append(alertBox(explain(error)));
    } finally {
      pasteButton.disabled = false;
    }
  });

  const file = h('input', { id: 'csv-file', name: 'csv-file', type: 'file', accept: '.csv,text/csv', 'aria-describedby': 'csv-hint' });
  const csvButton = h('button', { type: 'submit', class: 'secondary' }, t('Last opp og send'));
  const csvForm = h('form', { novalidate: true },
    h('div', { class: 'field' },
      h('label', { for: 'csv-file' }, t('CSV-fil')),
      h('p', { class: 'hint', id: 'csv-hint' }, t('Første linje er overskriften email,name. Høyst 5 000 personer og 2 MB.')),
      file),
    languageChoice('csv-language'),
    csvButton);
  csvForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    result.replaceChildren();
    const [picked] = file.files;
    if (!picked) {
      result.append(alertBox(t('Velg en CSV-fil først.')));
      file.focus();
      return;
    }
    csvButton.disabled = true;
    try {
      const csvQuery = new URLSearchParams({ municipality_id: chosen.id, language: chosenLanguage(csvForm, 'csv-language') });
      const answer = await api(`/admin/invitations/csv?${csvQuery}`, { method: 'POST', body: picked, contentType: 'text/csv' });
      result.append(outcome(answer, 'csv'));
      file.value = '';
      await showList();
    } catch (error) {
      result.append(alertBox(error.status === 413
        ? t('Filen er for stor. Del den opp i filer på høyst 2 MB.')
        : error.status === 422 ? t('Filen kunne ikke leses som CSV. Sjekk at første linje er email,name.') : explain(error)));
    } finally {
      csvButton.disabled = false;
    }
  });

  render(t('Invitasjoner'),
    scope.picker,
    choice({
      id: 'municipality', label: t('Kommune'), select,
      onChoose: (id) => go(`/coordinator/invitations?municipality=${id}${scope.also}`, { replace: true }),
    }),
    h('section', { 'aria-labelledby': 'paste-heading' },
      h('h2', { id: 'paste-heading' }, t('Inviter mentorer i {name}', { name: chosen.name })),
      pasteForm),
    h('section', { 'aria-labelledby': 'csv-heading' },
      h('h2', { id: 'csv-heading' }, t('Eller last opp en CSV-fil')),
      csvForm),
    result,
    h('section', { 'aria-labelledby': 'sent-heading' },
      h('h2', { id: 'sent-heading' }, t('Sendte invitasjoner')),
      h('div', { class: 'field' }, h('label', { for: 'status-filter' }, t('Vis invitasjoner')), filter),
      listArea));
  await showList();
}
