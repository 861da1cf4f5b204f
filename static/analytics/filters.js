// Analytics filters: a quick period and custom dates exclude each other. Choosing a quick
// period clears the dates; typing a date switches the period to "Custom dates". Without
// JavaScript the form still works: a quick period wins over dates.
(function () {
  "use strict";
  var form = document.querySelector("form.analytics-filters");
  if (!form) return;
  var period = form.querySelector("select[name=period]");
  var dates = form.querySelectorAll("input[name=start], input[name=end]");
  if (!period) return;
  period.addEventListener("change", function () {
    if (period.value) dates.forEach(function (input) { input.value = ""; });
  });
  dates.forEach(function (input) {
    input.addEventListener("change", function () { if (input.value) period.value = ""; });
  });
})();
