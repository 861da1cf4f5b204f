/* Chorus's service worker, served at /sw.js (scope "/") by notifications.webapp.service_worker,
   which puts `self.CHORUS = {cache, shell, offline, logout, icon}` above this file.

   What it caches: the app shell (our CSS, the app script, the icons) and the offline page,
   nothing else. Pages are private (a feed, shares, preferences) and the API answers per
   person, so navigations go to the network every time and are never stored: on a shared
   computer the next person can't see the last one's pages. When the network is down, a
   navigation gets the offline page. Logging out empties every cache (then fetches the shell
   again, without cookies) and unsubscribes this browser from push (the server forgets the
   subscription too).

   Push: the payload is JSON {title, body, url, tag} encrypted for this browser (RFC 8291);
   a tap opens (or focuses) the URL, always inside Chorus. */
"use strict";

var CONFIG = self.CHORUS;

function fillShell() {
  return caches.open(CONFIG.cache).then(function (cache) {
    // No cookies on these requests: what is cached can't depend on who is logged in.
    return Promise.all(CONFIG.shell.concat([CONFIG.offline]).map(function (url) {
      return fetch(url, { credentials: "omit", cache: "reload" }).then(function (response) {
        if (!response.ok) { throw new Error("could not cache " + url + ": " + response.status); }
        return cache.put(url, response);
      });
    }));
  });
}

self.addEventListener("install", function (event) {
  event.waitUntil(fillShell().then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) { return name !== CONFIG.cache; })
        .map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function clearEverything() {
  var unsubscribe = self.registration.pushManager ? self.registration.pushManager.getSubscription()
    .then(function (subscription) { return subscription ? subscription.unsubscribe() : false; })
    .catch(function () { return false; }) : Promise.resolve(false);
  // Every cache goes, whatever put it there; then the shell and the offline page come back.
  var emptied = caches.keys().then(function (names) {
    return Promise.all(names.map(function (name) { return caches.delete(name); }));
  }).then(fillShell);
  return Promise.all([unsubscribe, emptied]);
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method === "POST" && url.pathname === CONFIG.logout) {
    // Not answered here: the browser sends the logout as usual while this runs.
    event.waitUntil(clearEverything());
    return;
  }
  if (request.method !== "GET") { return; }
  if (request.mode === "navigate") {
    // Network only; never stored. Offline: the offline page.
    event.respondWith(fetch(request).catch(function () {
      return caches.match(CONFIG.offline).then(function (page) {
        return page || new Response("You are offline.", { status: 503, headers: { "Content-Type": "text/plain" } });
      });
    }));
    return;
  }
  if (CONFIG.shell.indexOf(url.pathname) !== -1) {
    // The shell's URLs carry a content hash in production: a cached copy is always right.
    event.respondWith(caches.match(url.pathname).then(function (cached) { return cached || fetch(request); }));
  }
  // Everything else (the API, images, pages' data): the browser's own handling, not cached here.
});

function sameOriginPath(raw) {
  try {
    var target = new URL(raw || "/", self.location.origin);
    if (target.origin === self.location.origin) { return target.href; }
  } catch (e) { /* fall through */ }
  return new URL("/notifications/", self.location.origin).href;
}

self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { body: event.data ? event.data.text() : "" }; }
  var title = data.title || "Chorus";
  event.waitUntil(self.registration.showNotification(title, {
    body: data.body || "",
    tag: data.tag || undefined,
    renotify: Boolean(data.tag),
    icon: CONFIG.icon,
    badge: CONFIG.icon,
    data: { url: sameOriginPath(data.url) }
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = (event.notification.data && event.notification.data.url) || sameOriginPath("/");
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      for (var i = 0; i < windows.length; i++) {
        if (windows[i].url === target && "focus" in windows[i]) { return windows[i].focus(); }
      }
      return self.clients.openWindow ? self.clients.openWindow(target) : null;
    })
  );
});
