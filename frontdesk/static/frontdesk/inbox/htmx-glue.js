// htmx glue: error fragments swap in, toasts, focus after a swap, and the rules for
// swaps a live event started (never under someone's cursor or into a detached node).
(function () {
  "use strict";

  var inbox = window.FrontdeskInbox;
  if (!inbox || !inbox.root) return;
  var $ = inbox.$;

  // Whether htmx made this request because of a live event (see live-events.js).
  function isLive(detail) {
    var config = detail.requestConfig;
    var trigger = config && config.triggeringEvent;
    return !!trigger && /^(conversation|message|live):/.test(trigger.type);
  }
  inbox.isLive = isLive;

  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    // 422 carries a fragment that explains the problem: show it like a success.
    if (detail.xhr.status === 422) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
    if (!isLive(detail)) return;
    var target = detail.target;
    var guard = target && target.dataset && target.dataset.liveGuard;
    if (!document.body.contains(target)) {
      detail.shouldSwap = false; // the list was drawn again meanwhile
    } else if (guard === "focus" && target.contains(document.activeElement)) {
      detail.shouldSwap = false; // don't move what the keyboard is on
    } else if (guard === "menu" && target.contains(document.activeElement) && $("details[data-menu][open]", target)) {
      detail.shouldSwap = false; // someone is using a menu: don't pull it from under them
    }
  });

  document.addEventListener("inbox:toast", function (event) {
    if (event.detail && event.detail.text) {
      inbox.toast(event.detail.text);
      inbox.announce(event.detail.text);
    }
  });

  // After a form in the header is answered, the keyboard goes back where it was.
  var focusAfterSwap = null;
  var liveFocus = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt.closest) return;
    var menu = elt.closest("[data-menu]");
    if (menu && menu.id) focusAfterSwap = "#" + menu.id + " > summary";
    else if (elt.closest(".conv-primary")) focusAfterSwap = ".conv-primary button";
    else if (elt.closest(".conv-tags")) focusAfterSwap = "#tag-menu > summary";
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "conversation-header" && event.detail.shouldSwap && isLive(event.detail) && target.contains(document.activeElement)) {
      liveFocus = document.activeElement.id || null;
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    // (An outerHTML swap reports the element it replaced, which kept its id.)
    if (target && target.id === "conversation-header") {
      if (isLive(event.detail)) {
        var again = liveFocus && document.getElementById(liveFocus);
        if (again) again.focus();
      } else {
        var focus = (focusAfterSwap && $(focusAfterSwap)) || $("#conv-title");
        if (focus) focus.focus();
      }
      focusAfterSwap = null;
      liveFocus = null;
      inbox.call("presence", "renderAll");
    }
  });
})();
