// Talks to the public API (/api/v1) with the access/refresh token flow.
// The token pair is kept in localStorage so that a reload or a new tab stays signed in; see
// docs/decisions.md for why. Refreshes are serialised across tabs with the Web Locks API,
// because refresh tokens are single-use and a reused one revokes the whole session.
// Every request says which written form (bokmål or nynorsk) the reader has chosen, so answers
// (course text, messages, emails sent on a sign-up) come in that form before anyone signs in.

import { language } from './i18n.js';

const KEY = 'mentorsti.session';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.code = problem?.code || 'error';
    this.problem = problem || {};
  }
}

function load() {
  try {
    return JSON.parse(localStorage.getItem(KEY));
  } catch {
    return null;
  }
}

let session = load();
let signedOutHandler = () => {};

function store(value) {
  session = value;
  if (value) localStorage.setItem(KEY, JSON.stringify(value));
  else localStorage.removeItem(KEY);
}

window.addEventListener('storage', (event) => {
  if (event.key === KEY) session = load();
});

export const isSignedIn = () => Boolean(session);

/** The signed-in user's id (the access token's subject), to keep one user's data from another's. */
export function userId() {
  try {
    const payload = session.access.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload)).sub;
  } catch {
    return null;
  }
}

/** Called when the server no longer accepts the session (expired or revoked). */
export function onSignedOut(handler) {
  signedOutHandler = handler;
}

export function keepTokens(pair) {
  // Refresh a little before the access token runs out, to spare a failed request.
  const lifetime = Math.max(10, Number(pair.expires_in) - 30);
  // When the refresh token runs out the session is over, also on a phone that stayed offline.
  const ends = Number(pair.refresh_expires_in) > 0 ? Date.now() + Number(pair.refresh_expires_in) * 1000 : undefined;
  store({ access: pair.access_token, refresh: pair.refresh_token, expires: Date.now() + lifetime * 1000, ends });
}

async function problemOf(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

/** A fresh access token, or null when the session is gone. `used` is the token that failed. */
async function renew(used) {
  const run = async () => {
    const current = load();
    if (!current) return null;
    // Another tab may have refreshed while this one waited for the lock.
    if (current.access !== used && current.expires > Date.now()) {
      session = current;
      return current;
    }
    const response = await fetch('/api/v1/auth/refresh', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-language': language() },
      body: JSON.stringify({ refresh_token: current.refresh }),
    });
    if (response.status === 401) {
      store(null);
      return null;
    }
    if (!response.ok) throw new ApiError(response.status, await problemOf(response));
    keepTokens(await response.json());
    return session;
  };
  return navigator.locks ? navigator.locks.request('mentorsti.refresh', run) : run();
}

/**
 * Calls the API; `body` is sent as JSON, or as it is when `contentType` is given. `headers`
 * are added to the request (`Idempotency-Key`, `If-Match`, `If-None-Match`); `signal` can
 * abort it (a timeout: it then rejects as the network would). Resolves to the
 * parsed JSON (null for 204), or the Response with `raw`, or with `tagged` to `{ data, etag }`
 * (`etag`: the answer's `ETag` header, else the body's `etag`, else undefined).
 * Rejects with ApiError for error answers, and with a TypeError when the network is down.
 */
export async function api(path, {
  method = 'GET', body, contentType, raw = false, headers: extra = {}, tagged = false, signal,
} = {}) {
  let current = session;
  if (current?.ends && current.ends <= Date.now()) {
    // The session has ended: what was kept for reading offline goes with it (onSignedOut).
    store(null);
    current = null;
    if (!path.startsWith('/auth/')) {
      signedOutHandler();
      throw new ApiError(401, { code: 'unauthorized', detail: 'The session has ended.' });
    }
  }
  if (current && current.expires <= Date.now()) {
    try {
      current = await renew(current.access);
    } catch (error) {
      // Offline: the request goes with the old token, and the service worker answers from what
      // it kept (a server that is reachable answers 401, and the token is renewed below).
      if (!(error instanceof TypeError)) throw error;
    }
  }
  const send = (tokens) => {
    const headers = { ...extra, 'accept-language': language() };
    // A file (a CSV of invitees, a content archive) goes as it is, with its own type.
    if (body !== undefined) headers['content-type'] = contentType || 'application/json';
    if (tokens) headers.authorization = `Bearer ${tokens.access}`;
    return fetch(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined || contentType ? body : JSON.stringify(body),
      signal,
    });
  };
  let response = await send(current);
  if (response.status === 401 && current) {
    current = await renew(current.access);
    if (current) response = await send(current);
  }
  if (response.status === 401 && !path.startsWith('/auth/')) {
    store(null);
    signedOutHandler();
  }
  if (!response.ok) throw new ApiError(response.status, await problemOf(response));
  if (raw) return response;
  const data = response.status === 204 || response.status === 202 ? null : await response.json();
  if (!tagged) return data;
  return { data, etag: response.headers.get('etag') ?? data?.etag ?? undefined };
}

export async function signOut() {
  const current = session;
  store(null);
  if (current) {
    try {
      await fetch('/api/v1/auth/logout', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'accept-language': language() },
        body: JSON.stringify({ refresh_token: current.refresh }),
      });
    } catch {
      // Offline: the refresh token expires on its own; it is gone from this device already.
    }
  }
}

/** Fetches a file that needs the access token and hands it to the browser as a download. */
export async function download(path, filename) {
  const response = await api(path, { raw: true });
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
