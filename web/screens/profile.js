// The person's own profile, for every role: what the account says about them, the details they
// may change themselves (name, workplace, leader), the written form they read the course in
// (bokmål or nynorsk), the ways they sign in (a password, providers such as ID-porten linked to
// the account) and a download of everything stored about them.

import { ApiError, api, download } from '../api.js';
import { language, t } from '../i18n.js';
import {
  alertBox, confirmButton, explain, field, form, formatDate, h, render,
} from '../ui.js';
import { signInProviders } from './auth.js';

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

/** Why linking or unlinking a provider did not go, for the message under the list. */
function linkingProblem(error) {
  if (error instanceof ApiError && error.code === 'last_sign_in_method') {
    return t('Du kan ikke fjerne den eneste måten du logger inn på. Velg et passord først (med «Glemt passordet?» på innloggingssiden), eller koble til en annen innlogging.');
  }
  if (error instanceof ApiError && error.code === 'provider_unavailable') {
    return t('Vi får ikke kontakt med innloggingstjenesten akkurat nå. Prøv igjen om litt.');
  }
  return explain(error);
}

/**
 * One way of signing in: its name, what to know about it and what can be done with it. The
 * actions' buttons are described by the name ("Fjern kobling": of which).
 */
function method(id, name, about, ...actions) {
  const item = h('li', { class: 'sign-in-method' },
    h('h3', { id: `sign-in-${id}` }, name), h('p', { class: 'muted' }, about), ...actions);
  for (const button of item.querySelectorAll('button')) button.setAttribute('aria-describedby', `sign-in-${id}`);
  return item;
}

/**
 * "Slik logger du inn": whether the account has a password, the providers linked to it (with
 * "Fjern kobling") and those that could be ("Koble til", which goes to the provider and back).
 * `identities` is the answer of GET /me/identities; `redraw(notice)` draws the section again
 * from a fresh answer, with `notice` said at its top.
 */
function signInMethods({ identities, providers, notice, redraw }) {
  const message = h('div', { class: 'sign-in-methods-message', 'aria-live': 'polite' },
    notice && alertBox(notice, 'success'));
  const problem = (error) => {
    message.replaceChildren(alertBox(linkingProblem(error)));
  };
  const linked = new Set(identities.identities.map((i) => i.provider));
  const items = [method('password', t('E-post og passord'), identities.has_password
    ? t('Du har et passord. Har du glemt det, kan du lage et nytt fra innloggingssiden.')
    : t('Du har ikke valgt et passord. Vil du ha et, velger du «Glemt passordet?» på innloggingssiden.'))];
  for (const identity of identities.identities) {
    const label = identity.label || identity.provider;
    const since = formatDate(identity.linked_at);
    items.push(method(identity.provider, label,
      identity.last_used_at
        ? t('Koblet til {linked}, sist brukt {used}.', { linked: since, used: formatDate(identity.last_used_at) })
        : t('Koblet til {linked}, ikke brukt ennå.', { linked: since }),
      confirmButton({
        label: t('Fjern kobling'),
        question: t('Vil du fjerne koblingen til {label}? Da kan du ikke lenger logge inn med {label}.', { label }),
        yes: t('Fjern koblingen'),
        describe: linkingProblem,
        action: async () => {
          await api(`/me/identities/${encodeURIComponent(identity.provider)}`, { method: 'DELETE' });
          await redraw(t('Koblingen til {label} er fjernet.', { label }));
        },
      })));
  }
  for (const provider of providers.filter((p) => !linked.has(p.name))) {
    items.push(method(provider.name, provider.label,
      t('Da kan du logge inn med {label} i stedet for e-post og passord.', { label: provider.label }),
      h('button', {
        type: 'button', class: 'secondary', onclick: async (event) => {
          const button = event.currentTarget;
          button.disabled = true;
          message.replaceChildren();
          try {
            // The answer sets the cookie the provider's way back is checked against.
            const started = await api(`/me/identities/${encodeURIComponent(provider.name)}/start`, { method: 'POST', body: { next: '/profile' } });
            location.assign(started.authorize_url);
          } catch (error) {
            button.disabled = false;
            problem(error);
          }
        },
      }, t('Koble til {label}', { label: provider.label }))));
  }
  return [
    h('h2', { id: 'sign-in-methods', tabindex: '-1' }, t('Slik logger du inn')),
    message,
    h('ul', { class: 'sign-in-methods plain' }, items),
  ];
}

const SIGN_IN_PATIENCE_MS = 4000;

/**
 * The section on signing in, or null when the service offers no provider and none is linked
 * (then a password is the only way, and there is nothing to choose). Offline it is left out:
 * linking needs the network, and the rest of the profile is kept on the device.
 */
async function signInSection() {
  // A network that hangs holds up the profile only a moment: the section is left out then.
  const load = () => Promise.all([api('/me/identities', { signal: AbortSignal.timeout(SIGN_IN_PATIENCE_MS) }), signInProviders()]);
  let identities;
  let providers;
  try {
    [identities, providers] = await load();
  } catch {
    return null;
  }
  if (!providers.length && !identities.identities.length) return null;
  const section = h('section', { class: 'card profile-sign-in', 'aria-labelledby': 'sign-in-methods' });
  const draw = (notice) => section.replaceChildren(...signInMethods({ identities, providers, notice, redraw }));
  const redraw = async (notice) => {
    [identities, providers] = await load();
    draw(notice);
    // The button pressed is gone: the keyboard goes on from the section's heading.
    section.querySelector('h2').focus();
  };
  draw();
  return section;
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
export async function profileScreen(user, { saved, languageChanged }) {
  const [choice, message] = languageChoice(user, languageChanged);
  const signingIn = await signInSection();
  const shown = render(t('Profil'),
    h('p', { class: 'lead' }, t('Her ser du opplysningene om deg og velger skriftformen du vil lese opplæringen på.')),
    h('section', { 'aria-labelledby': 'language-heading' }, choice, message),
    h('section', { 'aria-labelledby': 'details-heading' },
      h('h2', { id: 'details-heading' }, t('Opplysningene dine')),
      facts(user),
      detailsForm(user, saved)),
    signingIn,
    yourData());
  // Drawn again after choosing a form: the keyboard stays on the choice, the notice is heard.
  if (message.childElementCount) shown.querySelector('input[name="language"]:checked')?.focus();
  return shown;
}
