/* The content item page: the link preview fills in once the worker has fetched it.
   While the saved item's preview is "Fetching…", asks the page's data-link-preview-url
   (1 s, ×1.5, at most 10 s, for up to 5 minutes) and then fills in the preview fields the
   curator has not touched since the page loaded. A title (or summary) the curator typed
   is never replaced: the server keeps it too. No dependencies. */
(function () {
  "use strict";
  var FIRST = 1000, FACTOR = 1.5, MAX = 10000, GIVE_UP = 5 * 60 * 1000;

  function setReadonly(field, text) {
    var box = document.querySelector(".field-" + field + " .readonly");
    if (box) { box.textContent = text || "-"; }
  }

  function fillUntouched(id, value) {
    var input = document.getElementById(id);
    // Untouched: still what the page loaded with (defaultValue), so nothing typed is lost.
    if (!input || input.value !== input.defaultValue || value === undefined) { return false; }
    input.value = value || "";
    input.defaultValue = input.value;
    return true;
  }

  function fill(root, data) {
    setReadonly("preview_status", data.status_label);
    setReadonly("preview_error", data.error);
    setReadonly("preview_fetched_at", data.fetched_at);
    setReadonly("canonical_url", data.canonical_url);
    fillUntouched("id_preview_title", data.preview_title);
    fillUntouched("id_preview_description", data.preview_description);
    fillUntouched("id_preview_image_url", data.preview_image_url);
    fillUntouched("id_preview_site_name", data.preview_site_name);
    fillUntouched("id_summary", data.summary);
    var title = document.getElementById("id_title");
    if (title && title.value === title.defaultValue && !title.value.trim()) {
      fillUntouched("id_title", data.title);
    }
    if (data.image_url) { root.dataset.storedImage = data.image_url; }
    root.dataset.previewStatus = data.status;
    var state = root.querySelector("[data-link-preview-state]");
    if (state) {
      state.textContent = data.status === "ok"
        ? "Link preview fetched: “" + data.display_title + "”."
        : data.status === "failed" ? "The link preview could not be fetched: " + data.error : "";
    }
    // admin-preview.js redraws the post previews on input.
    document.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("chorus-preview");
    var url = root && root.dataset.linkPreviewUrl;
    if (!url || root.dataset.previewStatus !== "pending" || !window.fetch) { return; }
    var delay = FIRST, started = Date.now();

    function later() {
      if (Date.now() - started > GIVE_UP) {
        var state = root.querySelector("[data-link-preview-state]");
        if (state) { state.textContent = "The link preview is taking long: reload the page later to see it."; }
        return;
      }
      setTimeout(ask, delay);
      delay = Math.min(delay * FACTOR, MAX);
    }

    function ask() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" }, redirect: "error",
                   cache: "no-store" })
        .then(function (response) {
          if (!response.ok) { throw new Error("status " + response.status); }
          return response.json();
        })
        .then(function (data) {
          if (data.status === "pending") { later(); } else { fill(root, data); }
        }, later);
    }
    later();
  });
})();
