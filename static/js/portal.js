/* Small progressive enhancements for the employee portal. Everything works without it. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-variant-text]");
    if (!button) { return; }
    var box = button.closest("[data-variants-for]");
    var textarea = box && document.getElementById(box.getAttribute("data-variants-for"));
    if (!textarea) { return; }
    textarea.value = button.getAttribute("data-variant-text");
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    textarea.focus();
  });
  document.addEventListener("submit", function (event) {
    var once = event.target.querySelector("[data-once]");
    if (once) {
      // The idempotency key already makes a double submit harmless; this just says so.
      once.dataset.label = once.dataset.label || once.textContent;
      setTimeout(function () { once.disabled = true; once.textContent = "Sharing…"; }, 0);
    }
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    // Restored from the back/forward cache: a page that must show what is true now (the
    // share dialog after sharing) asks the server again; others just get their buttons back.
    if (document.querySelector("[data-reload-on-back]")) {
      window.location.reload();
      return;
    }
    document.querySelectorAll("[data-once]").forEach(function (button) {
      button.disabled = false;
      if (button.dataset.label) { button.textContent = button.dataset.label; }
    });
  });
  var when = document.getElementById("scheduled_for");
  if (when) {
    when.addEventListener("focus", function () {
      var later = document.querySelector("input[name=when][value=later]");
      if (later) { later.checked = true; }
    });
  }
})();
