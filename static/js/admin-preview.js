/* Live preview of the LinkedIn and X posts on the content item admin page.
   Reads the form fields, composes the text exactly as the server will (ChorusText from
   share-counter.js) and renders a card per network. No dependencies. */
(function () {
  "use strict";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function val(id) { var el = document.getElementById(id); return el ? el.value.trim() : ""; }

  function domainOf(url) {
    try { return new URL(url).hostname.replace(/^www\./, ""); } catch (e) { return ""; }
  }

  function firstText(network) {
    var rows = $all("tr.form-row, div.inline-related").filter(function (row) {
      var sel = row.querySelector("select[name$='-network']");
      var del = row.querySelector("input[name$='-DELETE']");
      return sel && sel.value === network && !(del && del.checked) && !row.classList.contains("empty-form");
    });
    for (var i = 0; i < rows.length; i++) {
      var ta = rows[i].querySelector("textarea[name$='-text']");
      if (ta && ta.value.trim()) { return ta.value; }
    }
    return "";
  }

  function render() {
    var root = document.getElementById("chorus-preview");
    if (!root || !window.ChorusText) { return; }
    var url = val("id_url");
    var link = url ? root.dataset.linkExample : "";
    var disclosure = val("id_disclosure") || root.dataset.defaultDisclosure || "";
    var title = val("id_title") || val("id_preview_title");  // the curator's title wins
    // Our stored copy only (the admin's policy shows images from our own origin): the one
    // the worker just downloaded (admin-link-preview.js), else the saved upload.
    var image = root.dataset.storedImage || "";
    var thumb = document.querySelector(".field-image a");
    if (!image && thumb) { image = thumb.getAttribute("href"); }
    $all(".chorus-post", root).forEach(function (post) {
      var network = post.dataset.network;
      var allowed = document.getElementById(network === "x" ? "id_allow_x" : "id_allow_linkedin");
      post.style.opacity = allowed && !allowed.checked ? "0.4" : "1";
      var text = firstText(network) || val("id_summary") || title;
      var composed = window.ChorusText.composeShareText(text, { linkUrl: link || null, disclosure: disclosure });
      $("[data-preview-text]", post).textContent = composed;
      var card = $("[data-preview-card]", post);
      card.style.display = url ? "" : "none";
      $("[data-preview-title]", post).textContent = title;
      $("[data-preview-domain]", post).textContent = domainOf(url);
      var img = $("[data-preview-image]", post);
      if (image) { img.setAttribute("src", image); } else { img.removeAttribute("src"); }
      var m = window.ChorusText.measure(network, text, { linkUrl: link || null, disclosure: disclosure });
      var counter = $("[data-preview-counter]", post);
      counter.textContent = m.length + " / " + m.limit + (m.ok ? "" : " — too long");
      counter.classList.toggle("over-limit", !m.ok);
    });
  }

  function bindCounters() {
    // Give every share-text textarea a counter bound to its row's network.
    $all("textarea[name$='-text']").forEach(function (ta) {
      var row = ta.closest("tr, .inline-related");
      var sel = row && row.querySelector("select[name$='-network']");
      // Skip the hidden template row Django clones for "Add another".
      if (!sel || ta.dataset.counterBound || ta.name.indexOf("__prefix__") !== -1) { return; }
      ta.dataset.counterBound = "1";
      var out = document.createElement("span");
      out.className = "chorus-counter";
      out.setAttribute("aria-live", "polite");
      ta.insertAdjacentElement("afterend", out);
      function update() {
        if (sel.value !== "x" && sel.value !== "linkedin") { out.textContent = ""; return; }
        var root = document.getElementById("chorus-preview");
        var link = val("id_url") && root ? root.dataset.linkExample : null;
        var disclosure = val("id_disclosure") || (root ? root.dataset.defaultDisclosure : "");
        var m = window.ChorusText.measure(sel.value, ta.value, { linkUrl: link, disclosure: disclosure });
        out.textContent = m.length + " / " + m.limit + (sel.value === "x" ? " (X, link = 23)" : " (LinkedIn)");
        out.classList.toggle("over-limit", !m.ok);
      }
      ta.addEventListener("input", update);
      sel.addEventListener("change", update);
      update();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!document.getElementById("chorus-preview")) { return; }
    bindCounters();
    render();
    document.addEventListener("input", function () { render(); });
    document.addEventListener("change", function () { bindCounters(); render(); });
    document.addEventListener("formset:added", function () { bindCounters(); render(); });
  });
})();
