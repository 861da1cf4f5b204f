/* The share dialog's post previews and "Another wording". The server renders each preview
   first (content.text_rules.compose_share_text, what the posting code posts); this keeps it
   in step as the employee types, with ChorusText.composeShareText from share-counter.js, its
   line-for-line twin. "Another wording" puts the next suggested text in the box without a
   reload (without JavaScript its link asks the server for it). No dependencies. */
(function () {
  "use strict";

  // A textarea's value has "\n" line ends whatever the stored text has.
  function wordingsOf(link) {
    return JSON.parse(link.getAttribute("data-wordings") || "[]").map(function (text) {
      return text.replace(/\r\n?/g, "\n");
    });
  }

  function previewFor(textarea) {
    return document.querySelector('[data-post-preview="' + textarea.id + '"] [data-preview-text]');
  }

  function render(textarea) {
    var out = previewFor(textarea);
    if (!out || !window.ChorusText) { return; }
    out.textContent = window.ChorusText.composeShareText(textarea.value, {
      linkUrl: textarea.getAttribute("data-link-url") || null,
      disclosure: textarea.getAttribute("data-disclosure") || "",
    });
  }

  function wordingLabel(textarea, wordings) {
    var label = document.querySelector('[data-wording-label="' + textarea.id + '"]');
    if (!label) { return; }
    var at = wordings.indexOf(textarea.value);
    label.textContent = at === -1
      ? "Your own words · " + wordings.length + " suggestions"
      : "Suggestion " + (at + 1) + " of " + wordings.length;
  }

  var boxes = document.querySelectorAll("textarea[data-counter-network]");
  boxes.forEach(function (textarea) {
    textarea.addEventListener("input", function () {
      render(textarea);
      var link = document.querySelector('[data-another-wording="' + textarea.id + '"]');
      if (link) { wordingLabel(textarea, wordingsOf(link)); }
    });
    render(textarea);
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-another-wording]");
    if (!link) { return; }
    var textarea = document.getElementById(link.getAttribute("data-another-wording"));
    var wordings = wordingsOf(link);
    if (!textarea || textarea.readOnly || wordings.length < 2) { return; }
    event.preventDefault();
    var at = wordings.indexOf(textarea.value);
    textarea.value = wordings[(at + 1) % wordings.length];
    // The counter (share-counter.js), the preview and the label all listen for input.
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
