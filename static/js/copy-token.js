/* The API tokens page: a Copy button for the new token (shown once). Without JavaScript
   the token is still there to select and copy by hand; the button stays hidden. */
(function () {
  "use strict";
  document.querySelectorAll("[data-copy-from]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy-from"));
    if (!field) { return; }
    var label = button.textContent;
    button.hidden = false;
    field.addEventListener("focus", function () { field.select(); });
    button.addEventListener("click", function () {
      var done = function () {
        button.textContent = button.getAttribute("data-copied-label") || label;
        setTimeout(function () { button.textContent = label; }, 2000);
      };
      field.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () {
          if (document.execCommand("copy")) { done(); }
        });
      } else if (document.execCommand("copy")) {
        done();
      }
    });
  });
})();
