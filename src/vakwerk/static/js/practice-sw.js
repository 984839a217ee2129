/*
 * Service worker of the practice pages, served as /oefenen/sw.js so that it controls /oefenen/.
 *
 * The server puts `const VAKWERK_SW = {version, shell, offline, staticPrefix}` in front of this
 * file (vakwerk/practice/pwa_views.py): the URLs of the practice shell (CSS, htmx, the practice
 * script, the icons), the offline page, and a version that changes with the shell's content.
 *
 * - install: cache the shell and the offline page;
 * - activate: drop the caches of earlier versions;
 * - a page (navigation): always from the network, never cached (pages are personal); when the
 *   network fails, the offline page;
 * - a form post (a POST navigation, such as an answer): passed to the network as it is, never
 *   cached; when the network fails, a redirect back to the page it was sent from, so the
 *   address is a page again (which the offline page stands in for) and that page's script
 *   sends the answer it kept once the connection is back;
 * - a static file: from the cache, else from the network and then kept (static files are the
 *   same for everybody, and have hashed names in production);
 * - anything else (fetch posts of the answer queue among them): not touched.
 */
"use strict";

const CACHE_PREFIX = "vakwerk-practice-";
const CACHE = CACHE_PREFIX + VAKWERK_SW.version;

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll(VAKWERK_SW.shell);
      // With the person's cookies, for the language; the page itself holds nothing personal.
      // A redirect (to a login or MFA page) is not an offline page: keep it out.
      const response = await fetch(VAKWERK_SW.offline, { credentials: "same-origin" });
      if (response.ok && !response.redirected) {
        await cache.put(VAKWERK_SW.offline, response);
      }
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names
          .filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE)
          .map((name) => caches.delete(name)),
      );
      await self.clients.claim();
    })(),
  );
});

async function offlinePage() {
  const cache = await caches.open(CACHE);
  return (await cache.match(VAKWERK_SW.offline)) || Response.error();
}

async function networkOrOfflinePage(request) {
  try {
    return await fetch(request);
  } catch (error) {
    return offlinePage();
  }
}

function backToPage(request) {
  const scope = new URL(self.registration.scope);
  let page = null;
  try {
    page = new URL(request.referrer);
  } catch (error) {
    return null;
  }
  if (page.origin !== scope.origin || !page.pathname.startsWith(scope.pathname)) {
    return null;
  }
  return Response.redirect(page.href, 303);
}

async function networkOrBack(request) {
  try {
    return await fetch(request);
  } catch (error) {
    return backToPage(request) || offlinePage();
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request);
  if (cached) {
    return cached;
  }
  const response = await fetch(request);
  if (response.ok && response.type === "basic") {
    await cache.put(request, response.clone());
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate" && request.method === "GET") {
    event.respondWith(networkOrOfflinePage(request));
  } else if (request.mode === "navigate" && request.method === "POST") {
    event.respondWith(networkOrBack(request));
  } else if (request.method === "GET" && url.pathname.startsWith(VAKWERK_SW.staticPrefix)) {
    event.respondWith(cacheFirst(request));
  }
});
