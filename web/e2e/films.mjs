// The course's own films in a real browser, for journey.mjs: on a phone each one shows its size
// before it plays, plays (muted) until the browser has enough data, seeks to the middle, and
// has its Norwegian subtitles with voice tags; a film that cannot load says so, offers
// "Prøv igjen" and opens the whole text.

/** Every film the course carries, with the page it is on (read through the API). */
export async function bundledFilms(apiGet) {
  const path = await apiGet('/path');
  const films = [];
  for (const module of path.modules) {
    for (const entry of module.pages) {
      const page = await apiGet(`/modules/${module.number}/pages/${entry.slug}`);
      for (const block of page.blocks) {
        if (block.type === 'film' && block.src.startsWith('/api/v1/media/')) {
          films.push({ ...block, module: module.number, slug: entry.slug, pageTitle: page.title });
        }
      }
    }
  }
  return films;
}

async function openFilm(page, base, film) {
  await page.goto(`${base}/modules/${film.module}/${film.slug}`);
  await page.locator('h1', { hasText: film.pageTitle }).waitFor();
  const figure = page.locator('figure.film').filter({ has: page.locator(`video[src="${film.src}"]`) });
  await figure.waitFor();
  return { figure, video: await figure.locator('video').elementHandle() };
}

/**
 * Plays and seeks every film on `phone`, audits the page there and on `desktop`, then makes the
 * first film fail to load. `check(condition, message)` and `audit(page, where)` come from the
 * journey; `step(name)` names what is being checked; with `shots` (a directory) a playing film
 * and one that cannot load are photographed.
 */
export async function checkFilms({ phone, desktop, base, films, check, audit, step, shots }) {
  check(films.length > 0, 'the course carries films');
  for (const film of films) {
    step(`the film "${film.title}" plays, seeks and has subtitles on a phone`);
    const { figure, video } = await openFilm(phone, base, film);
    const caption = await figure.locator('figcaption').textContent();
    check(/\d+(,\d)? MB/.test(caption), `the film's size is shown before it plays: ${caption}`);
    await video.evaluate((v) => { v.muted = true; return v.play(); });
    await phone.waitForFunction((v) => v.readyState >= 4, video, { timeout: 30000 });
    const { duration, position } = await video.evaluate((v) => new Promise((resolve) => {
      v.addEventListener('seeked', () => resolve({ duration: v.duration, position: v.currentTime }), { once: true });
      v.currentTime = v.duration / 2;
    }));
    check(Math.abs(duration - film.duration_seconds) <= 1, `${film.id} lasts ${duration} s, its block says ${film.duration_seconds}`);
    check(Math.abs(position - duration / 2) < 1, `${film.id} seeked to ${position} of ${duration}`);
    await phone.waitForFunction((v) => v.textTracks[0]?.cues?.length > 0, video);
    const track = await video.evaluate((v) => ({
      language: v.textTracks[0].language,
      cues: v.textTracks[0].cues.length,
      voiced: [...v.textTracks[0].cues].every((cue) => /^<v [^>]+>/.test(cue.text)),
    }));
    check(track.language === 'nb' && track.voiced, `${film.id}: Norwegian subtitles, each cue naming its speaker (${JSON.stringify(track)})`);
    await audit(phone, `film ${film.id} (phone)`);
    await video.evaluate((v) => v.pause());
    if (shots && film === films[1]) await figure.screenshot({ path: `${shots}/film-phone.png` });
  }

  step('a film page is accessible on a desktop too');
  const { video: wide } = await openFilm(desktop, base, films[0]);
  await wide.evaluate((v) => { v.muted = true; return v.play(); });
  await desktop.waitForFunction((v) => v.readyState >= 4, wide, { timeout: 30000 });
  await audit(desktop, `film ${films[0].id} (desktop)`);
  await wide.evaluate((v) => v.pause());

  step('a film that cannot load says so, with "Prøv igjen" and the whole text');
  const blocked = (url) => url.pathname.startsWith('/api/v1/media/') && url.pathname.endsWith('.webm');
  await phone.route(blocked, (route) => route.abort('internetdisconnected'));
  const { figure, video } = await openFilm(phone, base, films[0]);
  await video.evaluate((v) => { v.muted = true; return v.play().catch(() => {}); });
  await figure.getByRole('alert').filter({ hasText: 'Filmen kan ikke spilles av nå' }).waitFor();
  check(await figure.locator('details.transcript').evaluate((d) => d.open), 'the whole text of the film is opened');
  const firstLine = film0Line(films[0].transcript);
  await figure.locator('details.transcript').getByText(firstLine, { exact: false }).first().waitFor();
  await audit(phone, 'a film that cannot load');
  if (shots) await figure.screenshot({ path: `${shots}/film-error-phone.png` });
  await phone.unroute(blocked);
  // "Prøv igjen" from the keyboard: the film loads this time and the message goes.
  await figure.getByRole('button', { name: 'Prøv igjen' }).focus();
  await phone.keyboard.press('Enter');
  await phone.waitForFunction((v) => v.readyState >= 3, video, { timeout: 30000 });
  check(await figure.getByRole('alert').count() === 0, 'the message goes once the film loads');
  await video.evaluate((v) => v.pause());
}

/** Some words of the transcript's first spoken line, to find it on the page. */
function film0Line(transcript) {
  const spoken = transcript.split('\n').find((line) => /^[^[][^:]{0,40}: /.test(line)) || transcript;
  return spoken.slice(spoken.indexOf(': ') + 2).split(' ').slice(0, 4).join(' ');
}
