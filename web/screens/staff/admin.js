// The administrator's people screens: the USHTs with their coordinators and coordinator
// invitations (`/admin`), and staff by role with changing someone's role (`/admin/users`).

import { ApiError, api, userId } from '../../api.js';
import { t } from '../../i18n.js';
import { alertBox, explain, field, form, formatDate, h, render } from '../../ui.js';
import {
  allPages, dataTable, items, label, languageChoice, languageMark,
} from './common.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Checks a field while it is typed in, in the reader's written form (the browser's own messages
 * follow its language, not the page's): `rule(value)` gives what is wrong, or ''. `form()` shows it.
 */
function checked(input, rule) {
  const update = () => {
    const problem = rule(input.value.trim());
    input.setCustomValidity(problem);
    input.setAttribute('aria-invalid', problem ? 'true' : 'false');
  };
  input.addEventListener('input', update);
  update();
  // Not marked invalid before anyone has typed anything.
  input.removeAttribute('aria-invalid');
  return input;
}

/** A field (from ui.js) whose input is checked with `rule`. */
function checkedField(options, rule) {
  const wrapper = field(options);
  checked(wrapper.querySelector('input'), rule);
  return wrapper;
}

/** A rule for a field that must be filled in: `message` (a whole sentence) when it is empty. */
const needed = (message) => (value) => (value ? '' : message());
const emailRule = (value) => {
  if (!value) return t('Skriv inn e-postadressen.');
  return EMAIL.test(value) ? '' : t('Skriv inn en gyldig e-postadresse, for eksempel navn@kommune.no.');
};

const fieldProblem = (field) => ({
  name: t('Navnet må være én linje på høyst 200 tegn, uten < > eller lenker.'),
  county: t('Fylket må være én linje på høyst 100 tegn.'),
  email: t('E-postadressen er ikke gyldig.'),
  usht_id: t('Velg en USHT for koordinatoren.'),
  municipality_id: t('Velg en kommune som er tatt opp i programmet.'),
  language: t('Velg bokmål eller nynorsk for invitasjonen.'),
})[field];

/** What a refused field means, or null when the answer is not about fields. */
function fieldProblems(error) {
  if (!(error instanceof ApiError) || error.code !== 'validation_failed') return null;
  const fields = (error.problem.errors || []).map((e) => fieldProblem(e.field)).filter(Boolean);
  return fields.length ? fields.join(' ') : null;
}

const invitationStatus = (status) => h('span', { class: `adm-status adm-status-${status}` }, label('invitation', status));

// ---------------------------------------------------------------------------------------------
// /admin: the USHTs

function invitationError(error) {
  if (error instanceof ApiError && error.code === 'invitation_accepted') return t('Invitasjonen er allerede akseptert, så den kan ikke endres.');
  if (error instanceof ApiError && error.status === 404) return t('Invitasjonen er allerede trukket tilbake eller lukket. Last siden på nytt.');
  return explain(error);
}

/** One coordinator invitation, with what can be done to it; it updates itself in place. */
function invitationItem(invitation) {
  const item = h('li', { class: 'adm-invitation' });
  const message = h('div', { class: 'adm-message', 'aria-live': 'polite', tabindex: '-1' });
  const who = invitation.name || invitation.email;

  const show = (current, { withdrawn = false } = {}) => {
    const status = withdrawn ? 'withdrawn' : current.status;
    const actions = h('div', { class: 'adm-actions' });
    if (!withdrawn && status !== 'accepted') {
      actions.append(h('button', {
        type: 'button', class: 'secondary', 'aria-label': t('Send på nytt til {who}', { who }), onclick: async (event) => {
          event.currentTarget.disabled = true;
          message.replaceChildren();
          try {
            const renewed = await api(`/admin/invitations/${current.id}/resend`, { method: 'POST' });
            show(renewed);
            message.append(alertBox(t('Invitasjonen er sendt på nytt til {email}. Den nye lenken gjelder til {date}; den gamle virker ikke lenger.', { email: renewed.email, date: formatDate(renewed.expires_at) }), 'success'));
            item.querySelector('.adm-actions button')?.focus();
          } catch (error) {
            message.append(alertBox(invitationError(error)));
            if (event.target.isConnected) event.target.disabled = false;
          }
        },
      }, t('Send på nytt')));
    }
    if (!withdrawn && status === 'pending') actions.append(withdrawButton(current));
    const dates = { count: current.send_count, sent: formatDate(current.sent_at), expires: formatDate(current.expires_at) };
    const sent = current.send_count > 1 ? t('Sendt {count} ganger, sist {sent}.', dates) : t('Sendt {sent}.', dates);
    let when = `${sent} ${t('Gjelder til {expires}.', dates)}`;
    if (status === 'accepted' && current.accepted_at) when = t('Akseptert {date}.', { date: formatDate(current.accepted_at) });
    if (status === 'expired') when = `${sent} ${t('Utløp {expires}.', dates)}`;
    if (withdrawn) when = t('Lenken i invitasjonen virker ikke lenger.');
    const mark = languageMark(current);
    item.replaceChildren(
      h('p', { class: 'adm-who' }, h('span', { class: 'adm-name' }, who), ' ', invitationStatus(status), mark && ' ', mark),
      invitation.name ? h('p', { class: 'adm-email' }, current.email) : null,
      h('p', { class: 'muted adm-when' }, when),
      actions,
      message);
  };

  const withdrawButton = (current) => {
    const wrapper = h('div', { class: 'adm-confirm' });
    const ask = h('button', { type: 'button', class: 'secondary', 'aria-expanded': 'false', 'aria-label': t('Trekk tilbake invitasjonen til {who}', { who }) }, t('Trekk tilbake'));
    const yes = h('button', {
      type: 'button', class: 'primary', onclick: async () => {
        yes.disabled = true;
        message.replaceChildren();
        try {
          await api(`/admin/invitations/${current.id}`, { method: 'DELETE' });
          show(current, { withdrawn: true });
          message.append(alertBox(t('Invitasjonen til {who} er trukket tilbake.', { who }), 'success'));
          message.focus();
        } catch (error) {
          message.append(alertBox(invitationError(error)));
          yes.disabled = false;
        }
      },
    }, t('Ja, trekk tilbake'));
    const panel = h('div', { class: 'confirm-panel', hidden: true },
      h('p', {}, t('Vil du trekke tilbake invitasjonen til {who}? Lenken slutter å virke, og adressen kan inviteres på nytt senere.', { who })),
      yes,
      h('button', {
        type: 'button', class: 'link', onclick: () => {
          panel.hidden = true;
          ask.setAttribute('aria-expanded', 'false');
          ask.focus();
        },
      }, t('Avbryt')));
    ask.addEventListener('click', () => {
      panel.hidden = false;
      ask.setAttribute('aria-expanded', 'true');
      yes.focus();
    });
    wrapper.append(ask, panel);
    return wrapper;
  };

  show(invitation);
  return item;
}

function coordinatorInviteError(error) {
  if (error instanceof ApiError) {
    if (error.code === 'already_a_user') return t('Det finnes allerede en bruker med denne e-postadressen. Gi personen rollen koordinator under «Brukere» i stedet.');
    if (error.code === 'already_invited') return t('Denne adressen har allerede en åpen invitasjon til denne USHT-en. Send den på nytt i listen over i stedet.');
    if (error.status === 404) return t('Fant ikke USHT-en. Last siden på nytt.');
  }
  return fieldProblems(error) || explain(error);
}

function inviteForm(usht, list, empty) {
  const prefix = `invite-${usht.id}`;
  const done = h('div', { 'aria-live': 'polite' });
  const invite = form({
    label: t('Inviter en koordinator til {usht}', { usht: usht.name }),
    submit: t('Send invitasjon'),
    fields: [
      checkedField({ id: `${prefix}-name`, label: t('Navn'), autocomplete: 'off', maxlength: 200 }, needed(() => t('Skriv inn navnet til koordinatoren.'))),
      checkedField({ id: `${prefix}-email`, label: t('E-post'), type: 'text', inputmode: 'email', autocomplete: 'off', spellcheck: 'false', maxlength: 254 }, emailRule),
      languageChoice(`${prefix}-language`),
    ],
    describe: coordinatorInviteError,
    action: async (values) => {
      done.replaceChildren();
      const invitation = await api(`/admin/ushts/${usht.id}/coordinators`, {
        method: 'POST',
        body: {
          name: values[`${prefix}-name`].trim(),
          email: values[`${prefix}-email`].trim(),
          language: values[`${prefix}-language`] === 'nn' ? 'nn' : 'nb',
        },
      });
      empty.hidden = true;
      list.hidden = false;
      list.prepend(invitationItem(invitation));
      invite.reset();
      invite.querySelectorAll('input').forEach((input) => {
        input.dispatchEvent(new Event('input'));
        input.removeAttribute('aria-invalid');
      });
      done.append(alertBox(t('Invitasjonen er sendt til {name} ({email}). Den står som «{status}» til den blir akseptert.', {
        name: invitation.name, email: invitation.email, status: label('invitation', invitation.status),
      }), 'success'));
    },
  });
  return h('details', { class: 'adm-invite' },
    h('summary', {}, t('Inviter en koordinator')),
    h('p', { class: 'hint' }, t('Koordinatoren får en e-post med en lenke som gjelder i 14 dager, og lager selv passordet sitt.')),
    invite,
    done);
}

function ushtCard(usht, coordinators, invitations) {
  const headingId = `usht-${usht.id}`;
  const facts = usht.municipality_count === 1
    ? t('Fylke: {county} · 1 kommune', { county: usht.county })
    : t('Fylke: {county} · {count} kommuner', { county: usht.county, count: usht.municipality_count });
  const list = h('ul', { class: 'plain adm-invitations', hidden: !invitations.length }, invitations.map(invitationItem));
  const empty = h('p', { class: 'muted', hidden: invitations.length > 0 }, t('Ingen invitasjoner til koordinatorer.'));
  return h('section', { class: 'card adm-usht', 'aria-labelledby': headingId },
    h('h2', { id: headingId, tabindex: '-1' }, usht.name),
    h('p', { class: 'adm-facts' }, facts),
    usht.municipality_count ? h('p', { class: 'adm-overview' }, h('a', { href: `/coordinator?usht=${usht.id}` }, t('Se kommunene og fremdriften'))) : null,
    h('h3', {}, t('Koordinatorer')),
    coordinators.length
      ? h('ul', { class: 'plain adm-people' }, coordinators.map((c) => h('li', {},
        h('span', { class: 'adm-name' }, c.name), ' ', h('span', { class: 'adm-email' }, c.email))))
      : h('p', { class: 'muted' }, t('Ingen koordinatorer ennå.')),
    h('h3', {}, t('Invitasjoner til koordinatorer')),
    list,
    empty,
    inviteForm(usht, list, empty));
}

function createUshtError(name) {
  return (error) => {
    if (error instanceof ApiError && error.status === 409) return t('Det finnes allerede en USHT som heter «{name}». Velg et annet navn.', { name: name() });
    return fieldProblems(error) || explain(error);
  };
}

function createUshtForm() {
  let name = '';
  const create = form({
    label: t('Ny USHT'),
    submit: t('Opprett USHT'),
    fields: [
      checkedField({ id: 'usht-name', label: t('Navn'), autocomplete: 'off', maxlength: 200, hint: t('For eksempel «USHT Agder».') }, needed(() => t('Skriv inn navnet på USHT-en.'))),
      checkedField({ id: 'usht-county', label: t('Fylke'), autocomplete: 'off', maxlength: 100, hint: t('Fylket USHT-en hører til, for eksempel Agder.') }, needed(() => t('Skriv inn fylket.'))),
    ],
    describe: createUshtError(() => name),
    action: async (values) => {
      name = values['usht-name'].trim();
      const usht = await api('/admin/ushts', { method: 'POST', body: { name, county: values['usht-county'].trim() } });
      await showUshts({ notice: t('USHT-en «{name}» er opprettet. Inviter en koordinator til den nedenfor.', { name: usht.name }), focus: usht.id });
    },
  });
  return h('section', { class: 'card adm-new', 'aria-labelledby': 'new-usht' },
    h('h2', { id: 'new-usht' }, t('Ny USHT')),
    create);
}

async function showUshts({ notice, focus } = {}) {
  const [ushts, coordinators] = await Promise.all([
    api('/admin/ushts').then(items),
    api('/admin/users?role=coordinator').then(items),
  ]);
  const invitations = await Promise.all(ushts.map((u) => allPages(`/admin/invitations?usht_id=${u.id}`)));
  const pending = invitations.flat().filter((i) => i.status === 'pending').length;
  // Three counts, each one or many: the parts are noun phrases, joined as a list.
  const parts = {
    ushts: ushts.length === 1 ? t('1 USHT') : t('{count} USHT-er', { count: ushts.length }),
    coordinators: coordinators.length === 1 ? t('1 koordinator') : t('{count} koordinatorer', { count: coordinators.length }),
    pending: pending === 1 ? t('1 ventende invitasjon') : t('{count} ventende invitasjoner', { count: pending }),
  };
  const summary = ushts.length
    ? t('{ushts}, {coordinators} og {pending} til koordinatorer.', parts)
    : t('Det finnes ingen USHT-er ennå. Opprett den første nedenfor.');
  render(t('USHT-er'),
    h('p', { class: 'lead' }, t('Utviklingssentrene for sykehjem og hjemmetjenester, med koordinatorene som følger opp kommunene.')),
    notice ? alertBox(notice, 'success') : null,
    h('p', {}, summary),
    ushts.map((usht, i) => ushtCard(usht, coordinators.filter((c) => c.usht_id === usht.id), invitations[i])),
    createUshtForm());
  if (focus) document.getElementById(`usht-${focus}`)?.focus();
}

export async function ushtsScreen() {
  await showUshts();
}

// ---------------------------------------------------------------------------------------------
// /admin/users: staff and roles

const ROLES = ['mentor', 'facilitator', 'coordinator', 'admin'];
const roleWord = (role) => label('role', role).toLowerCase();

function roleChangeError(error) {
  if (error instanceof ApiError) {
    if (error.code === 'own_role') return t('Du kan ikke endre din egen rolle. Be en annen administrator om å gjøre det.');
    if (error.status === 404) return t('Fant ikke brukeren. Kanskje kontoen er slettet; søk på nytt.');
  }
  return fieldProblems(error) || explain(error);
}

/** Where an account belongs, in words: a coordinator's USHT, a mentor's municipality. */
function placeOf(person, ushts, municipalities) {
  if (person.usht_id) return ushts.find((u) => u.id === person.usht_id)?.name || t('Ukjent USHT');
  if (person.municipality_id) return municipalities.find((m) => m.id === person.municipality_id)?.name || t('Ukjent kommune');
  return null;
}

/** The chosen person with the choice of a new role, asked once more before it is changed. */
function rolePanel(person, { ushts, municipalities, onChanged }) {
  const place = placeOf(person, ushts, municipalities);
  const current = h('p', { class: 'adm-current' },
    t('Nå:'), ' ', h('strong', {}, label('role', person.role)), place ? ` – ${place}` : '');
  const heading = h('h3', { id: 'person-heading', tabindex: '-1' }, person.name);
  const facts = [heading, h('p', { class: 'adm-email' }, person.email), current];
  if (person.id === userId()) {
    return h('div', { class: 'adm-person' }, ...facts,
      alertBox(t('Dette er deg. Du kan ikke endre din egen rolle; be en annen administrator om å gjøre det.'), 'info'));
  }

  const errorArea = h('div', { class: 'form-error' });
  const radios = ROLES.map((role) => h('label', { class: 'adm-role' },
    h('input', { type: 'radio', name: 'new-role', value: role, checked: role === person.role }),
    ` ${label('role', role)}`));
  const ushtSelect = h('select', { id: 'new-usht' },
    h('option', { value: '' }, t('Velg USHT')),
    ushts.map((u) => h('option', { value: u.id, selected: u.id === person.usht_id }, u.name)));
  const ushtField = h('div', { class: 'field', hidden: true }, h('label', { for: 'new-usht' }, t('USHT')), ushtSelect);
  const municipalitySelect = h('select', { id: 'new-municipality' },
    h('option', { value: '' }, t('Ingen kommune')),
    municipalities.map((m) => h('option', { value: m.id, selected: m.id === person.municipality_id }, `${m.name} (${m.number})`)));
  const municipalityField = h('div', { class: 'field', hidden: true },
    h('label', { for: 'new-municipality' }, t('Kommune (valgfritt)')), municipalitySelect);
  const chosen = () => radios.map((r) => r.querySelector('input')).find((input) => input.checked)?.value;
  const question = h('p', {});
  const yes = h('button', { type: 'button', class: 'primary' }, t('Ja, endre rollen'));
  const cancel = h('button', { type: 'button', class: 'link' }, t('Avbryt'));
  const confirmPanel = h('div', { class: 'confirm-panel', hidden: true }, question, yes, cancel);
  const ask = h('button', { type: 'button', class: 'primary', 'aria-expanded': 'false' }, t('Endre rolle'));

  const update = () => {
    const role = chosen();
    ushtField.hidden = role !== 'coordinator';
    municipalityField.hidden = role !== 'mentor';
    confirmPanel.hidden = true;
    ask.setAttribute('aria-expanded', 'false');
  };
  radios.forEach((r) => r.querySelector('input').addEventListener('change', update));
  ushtSelect.addEventListener('change', update);
  municipalitySelect.addEventListener('change', update);

  ask.addEventListener('click', () => {
    errorArea.replaceChildren();
    const role = chosen();
    if (role === 'coordinator' && !ushtSelect.value) {
      errorArea.append(alertBox(t('Velg hvilken USHT koordinatoren skal jobbe i.')));
      ushtSelect.focus();
      return;
    }
    const samePlace = role === 'coordinator' ? ushtSelect.value === (person.usht_id || '')
      : role === 'mentor' ? municipalitySelect.value === (person.municipality_id || '') : true;
    if (role === person.role && samePlace) {
      errorArea.append(alertBox(t('{name} er allerede {role}. Velg en annen rolle.', { name: person.name, role: roleWord(role) })));
      return;
    }
    const who = { name: person.name, role: roleWord(role), usht: ushtSelect.selectedOptions[0]?.textContent, first: person.name.split(' ')[0] };
    question.textContent = [
      role === 'coordinator' ? t('Gi {name} rollen {role} i {usht}?', who) : t('Gi {name} rollen {role}?', who),
      t('{first} blir logget ut og får den nye rollen ved neste innlogging.', who),
      person.role === 'mentor' && role !== 'mentor' && t('Som ansatt følger personen ikke lenger læringsstien som mentor.'),
    ].filter(Boolean).join(' ');
    confirmPanel.hidden = false;
    ask.setAttribute('aria-expanded', 'true');
    yes.focus();
  });
  cancel.addEventListener('click', () => {
    confirmPanel.hidden = true;
    ask.setAttribute('aria-expanded', 'false');
    ask.focus();
  });
  yes.addEventListener('click', async () => {
    const role = chosen();
    const body = { role };
    if (role === 'coordinator') body.usht_id = ushtSelect.value;
    if (role === 'mentor' && municipalitySelect.value) body.municipality_id = municipalitySelect.value;
    yes.disabled = true;
    errorArea.replaceChildren();
    try {
      await api(`/admin/users/${person.id}/role`, { method: 'POST', body });
      const now = { name: person.name, role: roleWord(role), usht: ushtSelect.selectedOptions[0]?.textContent };
      await onChanged(role === 'coordinator'
        ? t('{name} er nå {role} i {usht}. Den nye rollen gjelder fra neste innlogging.', now)
        : t('{name} er nå {role}. Den nye rollen gjelder fra neste innlogging.', now));
    } catch (error) {
      confirmPanel.hidden = true;
      ask.setAttribute('aria-expanded', 'false');
      errorArea.append(alertBox(roleChangeError(error)));
      yes.disabled = false;
    }
  });

  const panel = h('div', { class: 'adm-person' }, ...facts,
    h('fieldset', { class: 'adm-roles' }, h('legend', {}, t('Ny rolle')), radios),
    ushtField,
    municipalityField,
    errorArea,
    ask,
    confirmPanel);
  update();
  return panel;
}

function staffTable(role, people, ushts, me, choose) {
  const columns = [['name', t('Navn')], ['email', t('E-post')]];
  if (role === 'coordinator') columns.push(['usht', t('USHT')]);
  columns.push(['action', t('Rolle')]);
  return dataTable({
    id: `staff-${role}`,
    caption: { facilitator: t('Veiledere'), coordinator: t('Koordinatorer'), admin: t('Administratorer') }[role],
    columns,
    rows: people,
    cell: (key, person) => {
      if (key === 'usht') return ushts.find((u) => u.id === person.usht_id)?.name || '–';
      if (key === 'action') {
        if (person.id === me) return h('span', { class: 'muted' }, t('Deg selv'));
        return h('button', { type: 'button', class: 'link', 'aria-label': t('Endre rollen til {name}', { name: person.name }), onclick: () => choose(person) }, t('Endre'));
      }
      return person[key];
    },
  });
}

async function showUsers(notice) {
  const [ushts, municipalities, ...lists] = await Promise.all([
    api('/admin/ushts').then(items),
    allPages('/admin/municipalities'),
    ...['facilitator', 'coordinator', 'admin'].map((role) => api(`/admin/users?role=${role}`).then(items)),
  ]);
  const me = userId();
  const context = { ushts, municipalities, onChanged: (message) => showUsers(message) };
  const result = h('div', { class: 'adm-result' });
  const choose = (person) => {
    result.replaceChildren(rolePanel(person, context));
    document.getElementById('person-heading')?.focus();
  };
  let asked = '';
  const find = form({
    label: t('Finn en person'),
    submit: t('Finn'),
    fields: [checkedField({
      id: 'find-email', label: t('E-postadressen til personen'), type: 'text', inputmode: 'email', autocomplete: 'off', spellcheck: 'false', maxlength: 254,
      hint: t('Hele adressen personen logger inn med. Mentorer finner du også i fremdriftslisten til kommunen.'),
    }, emailRule)],
    describe: (error) => (error instanceof ApiError && error.code === 'validation_failed' ? t('Skriv inn en gyldig e-postadresse, for eksempel navn@kommune.no.') : explain(error)),
    action: async (values) => {
      asked = values['find-email'].trim();
      result.replaceChildren();
      const [person] = items(await api(`/admin/users?email=${encodeURIComponent(asked)}`));
      if (!person) {
        result.append(alertBox(t('Fant ingen bruker med e-postadressen {email}. Sjekk stavemåten. Noen som ikke har konto ennå, inviterer du i stedet.', { email: asked }), 'info'));
        return;
      }
      choose(person);
    },
  });
  const [facilitators, coordinators, admins] = lists;
  render(t('Brukere og roller'),
    h('p', { class: 'lead' }, t('De ansatte i programmet etter rolle. Her gir du noen en annen rolle, for eksempel gjør en mentor til veileder.')),
    notice ? h('div', { id: 'users-notice', tabindex: '-1' }, alertBox(notice, 'success')) : null,
    h('section', { class: 'card adm-change', 'aria-labelledby': 'change-role' },
      h('h2', { id: 'change-role' }, t('Endre rolle')),
      find,
      result),
    h('section', { 'aria-labelledby': 'staff' },
      h('h2', { id: 'staff' }, t('Ansatte etter rolle')),
      h('p', { class: 'muted' }, t('Rollene: {roles}. En veileder leder webinarserier, en koordinator følger opp kommunene i sin USHT.', {
        roles: ['mentor', 'facilitator', 'coordinator', 'admin'].map((r) => label('role', r)).join(', '),
      })),
      [['facilitator', facilitators], ['coordinator', coordinators], ['admin', admins]].map(([role, people]) => (people.length
        ? staffTable(role, people, ushts, me, choose)
        : h('p', { class: 'muted' }, t('Ingen med rollen {role}.', { role: roleWord(role) }))))));
  if (notice) document.getElementById('users-notice').focus();
}

export async function usersScreen() {
  await showUsers();
}
