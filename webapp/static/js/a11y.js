// Keyboard and screen-reader behaviour of the dashboard (CSP: no inline script).
//
// 1. Announcements: htmx answers carry an "announce" event in HX-Trigger
//    ({"message": ..., "level": "status"|"error"}); it fills #live-region or #live-alert.
// 2. Focus after a swap: a swap replaces the element that had focus, and the browser would
//    drop focus to <body>. Instead: after a form error, the first invalid field; after an
//    action took its row away (assigned, closed), the next row's first action; otherwise the
//    same control as before (the status toggle stays on its toggle, the board's poll keeps
//    the button a manager is on).
// 3. Escape closes an assign menu and returns focus to its button.
(function () {
  "use strict";

  var FOCUSABLE = "summary, button:not([disabled]), a[href], input:not([type=hidden]), select";

  function announce(message, level) {
    var region = document.getElementById(level === "error" ? "live-alert" : "live-region");
    if (!region || !message) return;
    // Emptied first, filled on the next frame: the same words twice are read out twice.
    region.textContent = "";
    window.requestAnimationFrame(function () { region.textContent = message; });
  }

  document.addEventListener("announce", function (event) {
    var detail = event.detail || {};
    announce(detail.message, detail.level);
  });

  // What had focus, as something that can be found again in the new HTML: the nearest
  // ancestor with an id and, inside it, the control's data-testid (or name). A control inside
  // a menu is remembered as the menu's button, since the new HTML has the menu closed.
  function identify(element) {
    if (!element || element === document.body) return null;
    var menu = element.closest("details");
    if (menu && element.tagName !== "SUMMARY") element = menu.querySelector("summary") || element;
    var anchor = element.parentElement && element.parentElement.closest("[id]");
    var key = element.getAttribute("data-testid") ? "[data-testid='" + element.getAttribute("data-testid") + "']"
      : element.getAttribute("name") ? "[name='" + element.getAttribute("name") + "']" : element.tagName.toLowerCase();
    return anchor ? {anchor: anchor.id, key: key} : null;
  }

  function findAgain(identity) {
    var anchor = identity && document.getElementById(identity.anchor);
    return anchor && anchor.querySelector(identity.key);
  }

  function rowOf(element) {
    return element && element.closest ? element.closest("tr[id]") : null;
  }

  function listOf(element) {
    var list = element && element.closest("[data-testid$='-list']");
    return list ? list.getAttribute("data-testid") : null;
  }

  function focusOn(element) {
    if (!element) return false;
    if (!element.matches(FOCUSABLE) && !element.hasAttribute("tabindex")) element.setAttribute("tabindex", "-1");
    element.focus();
    return document.activeElement === element;
  }

  function firstAction(row) {
    var actions = row && row.querySelector("td:last-child");
    return actions && actions.querySelector(FOCUSABLE);
  }

  var pending = null;

  document.addEventListener("htmx:beforeSwap", function (event) {
    pending = null;
    if (!event.detail.shouldSwap) return;  // an error shown elsewhere (app.js): focus stays put
    var active = document.activeElement;
    var row = rowOf(event.detail.requestConfig && event.detail.requestConfig.elt);
    pending = {
      active: active,
      identity: identify(active),
      failed: event.detail.xhr.status === 422,
      // Focus was in what the answer replaces (or nowhere): the answer may move it.
      inTarget: !active || active === document.body || !!(event.detail.target && event.detail.target.contains(active)),
      target: event.detail.target && event.detail.target.id,
      row: row && row.id,
      list: listOf(row),
      next: row && row.nextElementSibling && row.nextElementSibling.id,
      previous: row && row.previousElementSibling && row.previousElementSibling.id
    };
  });

  // After an action on a board row: the row where it is still in its list, else its neighbour.
  function focusAfterRowAction(state) {
    var row = document.getElementById(state.row);
    if (row && listOf(row) === state.list) {
      return focusOn(findAgain(state.identity) || firstAction(row));
    }
    var neighbour = document.getElementById(state.next) || document.getElementById(state.previous);
    if (neighbour && listOf(neighbour) === state.list) return focusOn(firstAction(neighbour));
    var list = document.querySelector("[data-testid='" + state.list + "']");
    return focusOn(list && list.querySelector("h2"));
  }

  // Between the swap and its settle the person may already have gone on (clicked or tabbed into
  // another field): their choice stands, focus is only put back where the swap took it away.
  function wentElsewhere(state, region) {
    var active = document.activeElement;
    return !!active && active !== document.body && active !== state.active && !(region && region.contains(active));
  }

  function settleFocus(state) {
    var region = state.target && document.getElementById(state.target);
    if (wentElsewhere(state, region)) return false;
    if (state.failed && state.inTarget && region) {
      var invalid = region.querySelector("[aria-invalid='true']");
      if (invalid) return focusOn(invalid);
    }
    if (document.body.contains(state.active)) return false;  // focus was not taken away
    if (state.row && state.list && !state.failed) return focusAfterRowAction(state);
    return focusOn(findAgain(state.identity));
  }

  document.addEventListener("htmx:afterSettle", function () {
    var state = pending;
    pending = null;
    if (state) settleFocus(state);
  });

  // An assign menu's form arrives after the menu opened: focus goes into it (to the select),
  // if the person is still on the menu's button.
  document.addEventListener("htmx:afterSettle", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches(".assign-form")) return;
    var menu = form.closest("details[open]");
    var active = document.activeElement;
    if (menu && (active === document.body || menu.contains(active))) focusOn(form.querySelector("select"));
  });

  // Opening a menu whose form is already there moves focus into it just the same.
  document.addEventListener("toggle", function (event) {
    var menu = event.target;
    if (!menu.matches || !menu.matches("details.assign-menu") || !menu.open) return;
    var select = menu.querySelector(".assign-form select");
    if (select) select.focus();
  }, true);

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var menu = event.target.closest && event.target.closest("details.assign-menu[open]");
    if (!menu) return;
    menu.open = false;
    menu.querySelector("summary").focus();
    event.preventDefault();
  });
})();
