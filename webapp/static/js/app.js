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

  // The board polls itself; it pauses while a manager has an assignment menu open, is in one
  // of its form fields or has ticked contacts, so an open menu, a half-made choice or a
  // selection is never swapped away.
  function boardIsBusy(board) {
    if (board.querySelector("details[open]") || board.querySelector("input[data-select]:checked")) return true;
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

  // The board's poll sends back the ETag of the board it shows, and the server answers 304
  // when nothing on it changed (blueprints/board_poll.py): htmx then swaps nothing
  // (responseHandling in base.html), so focus, a selection and the "N new" bar stay as they
  // are, and only the "updated" time moves on.
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (elt.hasAttribute("data-poll") && elt.dataset.etag && event.detail.verb === "get") {
      event.detail.headers["If-None-Match"] = elt.dataset.etag;
    }
  });

  function showUpdated(time, moment) {
    var zone = time.getAttribute("data-zone");
    time.setAttribute("datetime", moment.toISOString());
    time.textContent = new Intl.DateTimeFormat("en-GB", {timeZone: zone, hour: "2-digit", minute: "2-digit",
      second: "2-digit", hourCycle: "h23"}).format(moment);
    time.title = new Intl.DateTimeFormat(document.documentElement.lang || undefined,
      {timeZone: zone, dateStyle: "full", timeStyle: "long"}).format(moment);
  }

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (event.detail.xhr.status !== 304 || !elt.hasAttribute("data-poll")) return;
    var updated = elt.querySelector("time[data-zone]");
    if (updated) showUpdated(updated, new Date());
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

  // Confirmation without hx-confirm's inline prompt wiring: forms, or the submit button
  // pressed, that carry data-confirm. "{count}" in it is the number of contacts ticked.
  function confirmation(form, submitter) {
    var asker = submitter && submitter.hasAttribute("data-confirm") ? submitter
      : form && form.hasAttribute("data-confirm") ? form : null;
    if (!asker) return null;
    return asker.getAttribute("data-confirm").replace("{count}", String(selectedBoxes().length));
  }
  document.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail.elt;
    var form = elt.closest && elt.closest("form");
    var trigger = event.detail.triggeringEvent;
    var question = confirmation(form, trigger && trigger.submitter);
    if (question && !window.confirm(question)) event.preventDefault();
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.hasAttribute("hx-post") ? null : confirmation(form, event.submitter);
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // Bulk actions: the ticked rows, "select all shown" per list, and the count in the bulk bar.
  function selectedBoxes() {
    return Array.prototype.slice.call(document.querySelectorAll("input[data-select]:checked"));
  }

  function showSelection() {
    var count = document.querySelector("[data-testid=bulk-count]");
    var ticked = selectedBoxes().length;
    if (count) count.textContent = count.getAttribute("data-label").replace("{count}", String(ticked));
    document.querySelectorAll("input[data-select-all]").forEach(function (all) {
      var boxes = document.querySelectorAll("input[data-select='" + all.getAttribute("data-select-all") + "']");
      var on = Array.prototype.filter.call(boxes, function (box) { return box.checked; }).length;
      all.checked = on > 0 && on === boxes.length;
      all.indeterminate = on > 0 && on < boxes.length;
    });
    var board = document.querySelector("[data-poll]");
    if (board && !ticked && !board.querySelector("details[open]")) board.classList.remove("is-paused");
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches) return;
    if (box.matches("input[data-select-all]")) {
      document.querySelectorAll("input[data-select='" + box.getAttribute("data-select-all") + "']")
        .forEach(function (row) { row.checked = box.checked; });
    }
    if (box.matches("input[data-select-all], input[data-select]")) showSelection();
  });

  // The export link exports what the board shows: it follows filters and a search chosen
  // without a reload, and the order chosen on the board's column headers.
  function followFilters(form) {
    var link = form && document.getElementById(form.getAttribute("data-export-link"));
    if (!link) return;
    var query = new URLSearchParams();
    new FormData(form).forEach(function (value, name) { if (value) query.append(name, value); });
    var path = link.getAttribute("href").split("?")[0];
    link.setAttribute("href", query.toString() ? path + "?" + query.toString() : path);
  }
  ["change", "input"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      followFilters(event.target.closest && event.target.closest("form[data-export-link]"));
    });
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var board = event.target;
    if (!board.matches || !board.matches("[data-poll][data-sort]")) return;
    var form = document.querySelector("form[data-export-link]");
    var sort = form && form.querySelector("input[name=sort]");
    if (!sort || sort.value === board.getAttribute("data-sort")) return;
    sort.value = board.getAttribute("data-sort");
    followFilters(form);
  });


  // Weights: the slider and the number field beside it move together (the number reaches past
  // the slider's end, which then grows), and every share is recomputed while they move: "by
  // weight" over all weights, "now" over the rows the server marked data-eligible (the
  // distribution's own has_room rule). htmx saves the number after a pause.
  function percent(part, whole) {
    return whole > 0 ? Math.round(100 * part / whole) + " %" : "—";
  }

  function recomputeShares(table) {
    var rows = Array.prototype.slice.call(table.querySelectorAll("tr[data-eligible]"));
    var weights = rows.map(function (row) {
      var field = row.querySelector("[data-weight-number]");
      var value = field ? parseInt(field.value, 10) : NaN;
      return isNaN(value) || value < 0 ? 0 : value;
    });
    var total = 0, eligibleTotal = 0;
    rows.forEach(function (row, i) {
      total += weights[i];
      if (row.dataset.eligible === "1") eligibleTotal += weights[i];
    });
    rows.forEach(function (row, i) {
      var byWeight = row.querySelector("[data-testid=share]");
      var now = row.querySelector("[data-testid=share-now]");
      var eligible = row.dataset.eligible === "1";
      if (byWeight) byWeight.textContent = weights[i] ? percent(weights[i], total) : "—";
      if (now) now.textContent = weights[i] ? (eligible ? percent(weights[i], eligibleTotal) : "0 %") : "—";
    });
    var nobody = document.getElementById("no-weights");
    if (nobody) nobody.hidden = total > 0;
    var noneEligible = document.getElementById("nobody-eligible");
    if (noneEligible) noneEligible.hidden = total === 0 || eligibleTotal > 0;
    var saved = document.querySelector("#weights-message .saved");
    if (saved) saved.remove();  // the next "saved" comes with the next answer
  }

  document.addEventListener("input", function (event) {
    var field = event.target;
    var form = field.closest && field.closest("[data-weight-form]");
    if (!form) return;
    var slider = form.querySelector("[data-weight-slider]");
    var number = form.querySelector("[data-weight-number]");
    if (field === slider) {
      number.value = slider.value;
    } else if (field === number && number.value !== "") {
      var value = parseInt(number.value, 10);
      if (!isNaN(value) && value > parseInt(slider.max, 10)) slider.max = String(value);
      slider.value = number.value;
    }
    var table = form.closest("[data-weights]");
    if (table) recomputeShares(table);
  });

  // A polled region that carries data-title sets the tab's title (the overview: the unassigned
  // count), and, when the user asked for it, a desktop notification says that more contacts wait.
  var NOTIFY_KEY = "leadcrm.notifyUnassigned";
  var lastUnassigned = null;

  function notificationsWanted() {
    return "Notification" in window && Notification.permission === "granted" &&
      window.localStorage.getItem(NOTIFY_KEY) === "1";
  }

  function followPolledRegion(region) {
    if (region.dataset.title) document.title = region.dataset.title;
    if (region.dataset.unassigned === undefined) return;
    var count = parseInt(region.dataset.unassigned, 10);
    if (lastUnassigned !== null && count > lastUnassigned && notificationsWanted()) {
      new Notification(region.dataset.notifyText, {tag: "leadcrm-unassigned"});
    }
    lastUnassigned = count;
  }

  function showNotifyButton(button) {
    if (!("Notification" in window)) return;  // stays hidden: this browser cannot
    var permission = Notification.permission;
    var on = permission === "granted" && window.localStorage.getItem(NOTIFY_KEY) === "1";
    button.textContent = permission === "denied" ? button.dataset.labelBlocked
      : on ? button.dataset.labelOn : button.dataset.labelAsk;
    button.disabled = permission === "denied" || on;
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.hidden = false;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var region = document.querySelector("[data-poll][data-title]");
    if (region) followPolledRegion(region);
    var button = document.getElementById("notify-toggle");
    if (!button) return;
    showNotifyButton(button);
    button.addEventListener("click", function () {
      Notification.requestPermission().then(function (permission) {
        if (permission === "granted") window.localStorage.setItem(NOTIFY_KEY, "1");
        showNotifyButton(button);
      });
    });
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var region = event.target;  // the new element (detail.elt is the one that asked)
    if (region && region.matches && region.matches("[data-poll][data-title]")) followPolledRegion(region);
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
