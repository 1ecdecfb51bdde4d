/* The report's print button (the page itself is print-ready without it). */
(function () {
  "use strict";
  var button = document.getElementById("print-report");
  if (!button) { return; }
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
})();
