/* The installable app: registers the service worker (every portal page) and runs the
   preferences' "Push notifications on this device" switch. The browser's permission prompt
   is only ever shown after the employee turns the switch on, never when a page loads. */
(function () {
  "use strict";
  var script = document.currentScript;
  var workerUrl = script && script.getAttribute("data-sw");
  var canRegister = "serviceWorker" in navigator && workerUrl;
  var registered = canRegister ? navigator.serviceWorker.register(workerUrl, { scope: "/" })
    : Promise.reject(new Error("no service worker"));
  registered.catch(function () {
    /* No service worker (private window, old browser): the site works as a website. */
  });
  function workerReady() {
    return registered.then(function () { return navigator.serviceWorker.ready; });
  }

  function ready() {
    var card = document.querySelector("[data-push]");
    var toggle = card && card.querySelector("[data-push-toggle]");
    if (!toggle) { return; }
    var status = card.querySelector("[data-push-status]");
    var say = function (text) { status.textContent = text; };
    if (!canRegister || !("PushManager" in window) || !("Notification" in window)) {
      say("This browser can't receive push notifications. On an iPhone or iPad, add Chorus to the Home Screen " +
          "(Share, then Add to Home Screen) and open it from there.");
      return;
    }

    function post(url, body) {
      return fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": card.getAttribute("data-csrf") },
        body: JSON.stringify(body)
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (answer) {
          if (!response.ok) { throw new Error(answer.error || ("the server answered " + response.status)); }
          return answer;
        });
      });
    }

    function keyBytes(base64url) {
      var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
      var raw = window.atob(padded);
      var bytes = new Uint8Array(raw.length);
      for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
      return bytes;
    }

    var ON = "On: new content and alerts about your connections reach this device.";
    var OFF = "Off on this device.";
    var BLOCKED = "Notifications are blocked for Chorus in this browser's settings. Allow them there, then " +
                  "turn this on again.";

    function turnOn() {
      toggle.disabled = true;
      say("Asking your browser for permission…");
      // The prompt appears here, in answer to the click, and nowhere else.
      Promise.resolve(Notification.requestPermission()).then(function (permission) {
        if (permission !== "granted") {
          throw new Error(permission === "denied" ? BLOCKED : "Permission was not given; push stays off.");
        }
        say("Turning on…");
        return workerReady();
      }).then(function (registration) {
        return registration.pushManager.getSubscription().then(function (existing) {
          return existing || registration.pushManager.subscribe({
            userVisibleOnly: true,
            applicationServerKey: keyBytes(card.getAttribute("data-public-key"))
          });
        });
      }).then(function (subscription) {
        return post(card.getAttribute("data-subscribe-url"), subscription.toJSON());
      }).then(function () {
        toggle.checked = true;
        say(ON);
      }).catch(function (error) {
        toggle.checked = false;
        say(error && error.message && error.message.indexOf(" ") > 0 ? error.message :
            "Push couldn't be turned on in this browser (" + (error && error.name || "error") + ").");
      }).then(function () { toggle.disabled = false; });
    }

    function turnOff() {
      toggle.disabled = true;
      workerReady().then(function (registration) {
        return registration.pushManager.getSubscription();
      }).then(function (subscription) {
        if (!subscription) { return null; }
        return post(card.getAttribute("data-unsubscribe-url"), { endpoint: subscription.endpoint })
          .then(function () { return subscription.unsubscribe(); });
      }).then(function () {
        toggle.checked = false;
        say(OFF);
      }).catch(function (error) {
        toggle.checked = true;
        say("Push couldn't be turned off: " + (error && error.message || "error") + ".");
      }).then(function () { toggle.disabled = false; });
    }

    toggle.addEventListener("change", function () {
      if (toggle.checked) { turnOn(); } else { turnOff(); }
    });

    // Show what is true for this browser now, without asking anything.
    workerReady().then(function (registration) {
      return registration.pushManager.getSubscription();
    }).then(function (subscription) {
      toggle.disabled = false;
      if (subscription && Notification.permission === "granted") {
        toggle.checked = true;
        say(ON);
        // The server may have dropped it (the push service said it was gone): tell it again.
        return post(card.getAttribute("data-subscribe-url"), subscription.toJSON()).catch(function () {});
      }
      toggle.checked = false;
      say(Notification.permission === "denied" ? BLOCKED : OFF);
      return null;
    }).catch(function () {
      say("This browser can't receive push notifications here (its service worker didn't start; a private " +
          "window may be the reason).");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
