// The person's own profile, for every role: what the account says about them, the details they
// may change themselves (name, workplace, leader), the written form they read the course in
// (bokmål or nynorsk) and a download of everything stored about them.

import { api, download } from '../api.js';
import { language, t } from '../i18n.js';
import { alertBox, explain, field, form, h, render } from '../ui.js';

// Said once on the screen drawn again after the written form changed, in the new form.
let languageNotice = false;

/** Optional text as PATCH /me takes it: trimmed, and null to clear. */
const optional = (value) => (value || '').trim() || null;

/** What the account says that the person cannot change here. */
function facts(user) {
  const rows = [[t('E-post'), user.email]];
  if (user.municipality) rows.push([t('Kommune'), user.municipality.name]);
  if (user.usht) rows.push([t('USHT'), user.usht.name]);
  return h('dl', { class: 'card profile-facts' },
    rows.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
}

/** Name, workplace and leader, saved with PATCH /me. */
function detailsForm(user, saved) {
  const done = h('div', { class: 'profile-saved', 'aria-live': 'polite' });
  const element = form({
    label: t('Opplysningene dine'),
    fields: [
      field({ id: 'name', label: t('Navn'), autocomplete: 'name', required: true, maxlength: 200, value: user.name }),
      field({
        id: 'workplace', label: t('Arbeidsplass'), autocomplete: 'organization', maxlength: 200, value: user.workplace || undefined,
        hint: t('Der du jobber, for eksempel et sykehjem eller hjemmetjenesten.'),
      }),
      field({ id: 'leader_name', label: t('Navnet på lederen din'), autocomplete: 'off', maxlength: 200, value: user.leader_name || undefined }),
      field({
        id: 'leader_email', label: t('E-postadressen til lederen din'), type: 'email', autocomplete: 'off', inputmode: 'email',
        maxlength: 254, value: user.leader_email || undefined,
      }),
    ],
    submit: t('Lagre endringene'),
    action: async (values) => {
      done.replaceChildren();
      const updated = await api('/me', {
        method: 'PATCH',
        body: {
          name: values.name.trim(),
          workplace: optional(values.workplace),
          leader_name: optional(values.leader_name),
          leader_email: optional(values.leader_email),
        },
      });
      saved(updated);
      done.append(alertBox(t('Endringene er lagret.'), 'success'));
    },
  });
  element.append(done);
  return element;
}

/**
 * The written form, chosen with two radio buttons. A choice is saved at once (PATCH /me
 * {language}); then `changed` switches the client and draws the screen again in the new form.
 */
function languageChoice(user, changed) {
  const current = user.language || 'nb';
  const message = h('div', { class: 'profile-language-message', 'aria-live': 'polite' });
  const option = (value, text) => h('div', { class: 'profile-radio' },
    h('input', { type: 'radio', name: 'language', id: `language-${value}`, value, checked: value === current }),
    h('label', { for: `language-${value}` }, text));
  const group = h('fieldset', { class: 'profile-language', 'aria-describedby': 'language-hint' },
    h('legend', {}, h('h2', { id: 'language-heading' }, t('Skriftform'))),
    h('p', { class: 'hint', id: 'language-hint' }, t('Opplæringen, e-postene du får og kursbeviset ditt følger skriftformen du velger.')),
    option('nb', t('Bokmål')),
    option('nn', t('Nynorsk')));
  if (languageNotice) {
    message.append(alertBox(language() === 'nn' ? t('Nå vises opplæringen på nynorsk.') : t('Nå vises opplæringen på bokmål.'), 'success'));
    languageNotice = false;
  }
  group.addEventListener('change', async (event) => {
    const chosen = event.target.value;
    message.replaceChildren();
    group.setAttribute('aria-busy', 'true');
    try {
      const updated = await api('/me', { method: 'PATCH', body: { language: chosen } });
      languageNotice = true;
      await changed({ ...updated, language: updated.language || chosen });
    } catch (error) {
      group.removeAttribute('aria-busy');
      group.querySelector(`#language-${current}`).checked = true;
      message.append(alertBox(explain(error)));
    }
  });
  return [group, message];
}

/** The privacy functions the API has for the person: a copy of everything stored. */
function yourData() {
  const errorArea = h('div');
  return h('section', { class: 'card profile-data', 'aria-labelledby': 'your-data' },
    h('h2', { id: 'your-data' }, t('Dataene dine')),
    h('p', {}, t('Du kan laste ned alt som er lagret om deg i opplæringen: profilen, fremdriften, svarene, notatet, webinarene og hvem som har sett dataene dine. Filen er i JSON-format.')),
    h('button', {
      type: 'button', class: 'secondary', onclick: async () => {
        errorArea.replaceChildren();
        try {
          await download('/me/export', 'mine-data.json');
        } catch (error) {
          errorArea.append(alertBox(explain(error)));
        }
      },
    }, t('Last ned dataene mine')),
    errorArea);
}

/**
 * `user` is the answer of GET /me. `saved(updated)` hears of changed details;
 * `languageChanged(updated)` of a new written form (and draws the screen again).
 */
export function profileScreen(user, { saved, languageChanged }) {
  const [choice, message] = languageChoice(user, languageChanged);
  const shown = render(t('Profil'),
    h('p', { class: 'lead' }, t('Her ser du opplysningene om deg og velger skriftformen du vil lese opplæringen på.')),
    h('section', { 'aria-labelledby': 'language-heading' }, choice, message),
    h('section', { 'aria-labelledby': 'details-heading' },
      h('h2', { id: 'details-heading' }, t('Opplysningene dine')),
      facts(user),
      detailsForm(user, saved)),
    yourData());
  // Drawn again after choosing a form: the keyboard stays on the choice, the notice is heard.
  if (message.childElementCount) shown.querySelector('input[name="language"]:checked')?.focus();
  return shown;
}
