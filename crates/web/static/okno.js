// Okno progressive enhancement. Pages work without it; this only adds conveniences.
// Loaded as a file (CSP forbids inline script).
(function () {
  "use strict";
  // Move focus to the first field with an error so screen-reader and keyboard users land on it.
  document.addEventListener("DOMContentLoaded", function () {
    var invalid = document.querySelector('[aria-invalid="true"]');
    if (invalid) { invalid.focus(); }
  });
  // Kiosk mode: return to the home page after two minutes without a touch.
  if (document.body && document.body.classList.contains("kiosk")) {
    var timer;
    var reset = function () {
      clearTimeout(timer);
      timer = setTimeout(function () { window.location.href = "/"; }, 120000);
    };
    ["pointerdown", "keydown"].forEach(function (e) { document.addEventListener(e, reset, { passive: true }); });
    reset();
  }
})();
