// Dashboard behaviour. Everything lives here because the CSP forbids inline script
// and htmx runs with allowEval: false (no hx-on, no trigger filters).
//
// Validation errors come back as 422 with the form re-rendered; base.html's htmx-config
// tells htmx to swap 2xx and 422 and to treat every other error as an error, which is
// shown below in the flash area instead of being swapped into a table cell.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // The words come translated from the flash area's data-error-* attributes (base.html).
  function message(key) {
    var area = document.getElementById("flash-area");
    return (area && area.dataset[key]) || "Something went wrong ({status}).";
  }

  function flashError(text) {
    var area = document.getElementById("flash-area");
    if (!area) return;
    var p = document.createElement("p");
    p.className = "flash flash-error";
    p.setAttribute("data-testid", "flash-error");
    p.textContent = text;
    area.replaceChildren(p);
    // Read out too (a11y.js): the flash area is swapped, not a lasting live region.
    document.dispatchEvent(new CustomEvent("announce", {detail: {message: text, level: "error"}}));
  }

  // The board polls itself; it pauses while a manager has an assignment menu open or
  // is in one of its form fields, so an open menu or a half-made choice is never swapped away.
  function boardIsBusy(board) {
    if (board.querySelector("details[open]")) return true;
    var active = document.activeElement;
    return !!active && board.contains(active) && active.matches("select, input, textarea");
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt.hasAttribute("data-poll")) {
      var busy = boardIsBusy(elt);
      elt.classList.toggle("is-paused", busy);
      if (busy) event.preventDefault();
    }
  });

  // A closed menu lets the poll resume on its next tick.
  document.addEventListener("toggle", function (event) {
    var board = event.target.closest && event.target.closest("[data-poll]");
    if (board && !board.querySelector("details[open]")) board.classList.remove("is-paused");
  }, true);

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    var key = status === 403 || status === 404 || status === 429 ? "error" + status : "errorOther";
    flashError(message(key).replace("{status}", status));
  });

  document.addEventListener("htmx:sendError", function () {
    flashError(message("errorOffline"));
  });

  // Confirmation without hx-confirm's inline prompt wiring: forms that carry data-confirm.
  document.addEventListener("htmx:confirm", function (event) {
    var form = event.detail.elt.closest && event.detail.elt.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-confirm") && !form.hasAttribute("hx-post") &&
        !window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
  });

  // The export link exports what the board shows: it follows filters chosen without a reload.
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("form[data-export-link]");
    var link = form && document.getElementById(form.getAttribute("data-export-link"));
    if (!link) return;
    var query = new URLSearchParams();
    new FormData(form).forEach(function (value, name) { if (value) query.append(name, value); });
    var path = link.getAttribute("href").split("?")[0];
    link.setAttribute("href", query.toString() ? path + "?" + query.toString() : path);
  });

  // A weight slider shows its number while it moves; htmx saves it after a pause.
  document.addEventListener("input", function (event) {
    var slider = event.target;
    var outputId = slider.getAttribute && slider.getAttribute("data-output");
    if (outputId) {
      var output = document.getElementById(outputId);
      if (output) output.textContent = slider.value;
    }
  });

  // The override box is needed for an operator at the limit or inactive: tick it when one is chosen.
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("[data-testid=assign-select]")) return;
    var option = select.selectedOptions[0];
    var box = select.form && select.form.querySelector("[name=force]");
    if (box && option) box.checked = box.checked && option.hasAttribute("data-needs-override");
  });
})();
