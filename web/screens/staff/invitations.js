// Inviting mentors to a municipality, by pasting addresses or uploading a CSV file, and the
// invitations sent: who has not answered, resending, and withdrawing one that is pending.

import { api } from '../../api.js';
import { alertBox, confirmButton, explain, formatDate, go, h, render } from '../../ui.js';
import { allPages, choice, dataTable, label, scopeOf } from './common.js';

const SKIPPED = {
  invalid_email: 'ikke en gyldig e-postadresse',
  invalid_name: 'navnet er for langt eller har tegn som ikke kan brukes',
  duplicate_in_file: 'står flere ganger i listen',
  already_a_user: 'har allerede en konto',
  already_invited: 'er allerede invitert',
  malformed_row: 'linjen kunne ikke leses',
};

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
  const where = source === 'csv' ? (row) => `linje ${row}` : (row) => `nr. ${row}`;
  return h('div', { class: 'outcome', role: 'status' },
    h('p', {}, created.length === 1 ? '1 invitasjon er sendt.' : `${created.length} invitasjoner er sendt.`),
    created.length > 0 && h('ul', {}, created.map((c) => h('li', {}, c.email))),
    skipped.length > 0 && h('div', {},
      h('p', {}, skipped.length === 1 ? '1 ble hoppet over:' : `${skipped.length} ble hoppet over:`),
      h('ul', {}, skipped.map((s) => h('li', {}, `${s.email || '(tom)'} (${where(s.row)}): ${SKIPPED[s.reason] || s.message}`)))));
}

export async function invitationsScreen(query) {
  const scope = await scopeOf(query, (usht) => go(`/coordinator/invitations?usht=${usht}`));
  const municipalities = await allPages(`/admin/municipalities${scope.filter('?')}`);
  if (!municipalities.length) {
    render('Invitasjoner', scope.picker,
      h('p', {}, 'Meld inn en kommune først; invitasjonene gjelder en kommune.'),
      h('p', {}, h('a', { href: `/coordinator/municipalities${scope.keep}` }, 'Meld inn en kommune')));
    return;
  }
  const chosen = municipalities.find((m) => m.id === query.get('municipality')) || municipalities[0];
  const select = h('select', { id: 'municipality' }, municipalities.map((m) => h('option', { value: m.id, selected: m.id === chosen.id }, `${m.name} (${m.number})`)));

  const listArea = h('div');
  const filter = h('select', { id: 'status-filter', onchange: () => showList() },
    h('option', { value: '' }, 'Alle'),
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
          type: 'button', class: 'secondary', 'aria-label': `Send på nytt til ${invitation.email}`, onclick: async (event) => {
            event.target.disabled = true;
            try {
              await api(`/admin/invitations/${invitation.id}/resend`, { method: 'POST', body: {} });
              await showList(alertBox(`Invitasjonen er sendt på nytt til ${invitation.email}.`, 'success'));
            } catch (error) {
              event.target.disabled = false;
              area.append(alertBox(explain(error)));
            }
          },
        }, 'Send på nytt'));
      }
      if (invitation.status === 'pending') {
        area.append(confirmButton({
          label: 'Trekk tilbake',
          question: `Trekke tilbake invitasjonen til ${invitation.email}? Lenken i e-posten slutter å virke.`,
          yes: 'Ja, trekk tilbake',
          action: async () => {
            await api(`/admin/invitations/${invitation.id}`, { method: 'DELETE' });
            await showList(alertBox(`Invitasjonen til ${invitation.email} er trukket tilbake.`, 'success'));
          },
        }));
      }
      return area;
    };
    listArea.replaceChildren(notice || '', invitations.length
      ? dataTable({
        id: 'invitations',
        sticky: false,
        caption: `Invitasjoner i ${chosen.name}`,
        columns: [['email', 'E-post'], ['name', 'Navn'], ['status', 'Status'], ['sent_at', 'Sist sendt'], ['expires_at', 'Utløper'], ['actions', 'Handling']],
        rows: invitations,
        cell: (key, i) => {
          if (key === 'status') return h('span', { class: `badge badge-invitation-${i.status}` }, label('invitation', i.status));
          if (key === 'sent_at') return `${formatDate(i.sent_at)}${i.send_count > 1 ? ` (${i.send_count}. gang)` : ''}`;
          if (key === 'expires_at') return i.status === 'accepted' ? '–' : formatDate(i.expires_at);
          if (key === 'actions') return actions(i);
          return i[key] || '–';
        },
      })
      : h('p', { class: 'muted' }, filter.value ? 'Ingen invitasjoner med denne statusen.' : 'Ingen invitasjoner ennå.'));
    // The button that was pressed is gone with the old table: focus goes to what it did.
    if (notice) {
      notice.setAttribute('tabindex', '-1');
      notice.focus();
    }
  }

  const result = h('div');
  const pasted = h('textarea', { id: 'invitees', name: 'invitees', rows: '6', 'aria-describedby': 'invitees-hint' });
  const pasteButton = h('button', { type: 'submit', class: 'primary' }, 'Send invitasjoner');
  const pasteForm = h('form', { novalidate: true },
    h('div', { class: 'field' },
      h('label', { for: 'invitees' }, 'E-postadresser'),
      h('p', { class: 'hint', id: 'invitees-hint' }, 'Én per linje, gjerne med navn: Kari Nordmann <kari@kommune.no>'),
      pasted),
    pasteButton);
  pasteForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    result.replaceChildren();
    const invitees = parseInvitees(pasted.value);
    if (!invitees.length) {
      result.append(alertBox('Skriv eller lim inn minst én e-postadresse.'));
      pasted.focus();
      return;
    }
    if (invitees.length > 100) {
      result.append(alertBox(`Det er ${invitees.length} adresser. Send høyst 100 om gangen, eller last opp en CSV-fil.`));
      return;
    }
    pasteButton.disabled = true;
    try {
      const answer = await api('/admin/invitations', { method: 'POST', body: { municipality_id: chosen.id, invitees } });
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
  const csvButton = h('button', { type: 'submit', class: 'secondary' }, 'Last opp og send');
  const csvForm = h('form', { novalidate: true },
    h('div', { class: 'field' },
      h('label', { for: 'csv-file' }, 'CSV-fil'),
      h('p', { class: 'hint', id: 'csv-hint' }, 'Første linje er overskriften email,name. Høyst 5 000 personer og 2 MB.'),
      file),
    csvButton);
  csvForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    result.replaceChildren();
    const [picked] = file.files;
    if (!picked) {
      result.append(alertBox('Velg en CSV-fil først.'));
      file.focus();
      return;
    }
    csvButton.disabled = true;
    try {
      const answer = await api(`/admin/invitations/csv?municipality_id=${chosen.id}`, { method: 'POST', body: picked, contentType: 'text/csv' });
      result.append(outcome(answer, 'csv'));
      file.value = '';
      await showList();
    } catch (error) {
      result.append(alertBox(error.status === 413
        ? 'Filen er for stor. Del den opp i filer på høyst 2 MB.'
        : error.status === 422 ? 'Filen kunne ikke leses som CSV. Sjekk at første linje er email,name.' : explain(error)));
    } finally {
      csvButton.disabled = false;
    }
  });

  render('Invitasjoner',
    scope.picker,
    choice({
      id: 'municipality', label: 'Kommune', select,
      onChoose: (id) => go(`/coordinator/invitations?municipality=${id}${scope.also}`, { replace: true }),
    }),
    h('section', { 'aria-labelledby': 'paste-heading' },
      h('h2', { id: 'paste-heading' }, `Inviter mentorer i ${chosen.name}`),
      pasteForm),
    h('section', { 'aria-labelledby': 'csv-heading' },
      h('h2', { id: 'csv-heading' }, 'Eller last opp en CSV-fil'),
      csvForm),
    result,
    h('section', { 'aria-labelledby': 'sent-heading' },
      h('h2', { id: 'sent-heading' }, 'Sendte invitasjoner'),
      h('div', { class: 'field' }, h('label', { for: 'status-filter' }, 'Vis invitasjoner'), filter),
      listArea));
  await showList();
}
