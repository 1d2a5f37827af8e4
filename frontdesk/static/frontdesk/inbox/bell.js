// The bell: unread notifications counted live (notification:new), their list in a
// dropdown that htmx loads from the bell's own URL when it opens.
(function () {
  "use strict";

  var inbox = window.FrontdeskInbox;
  if (!inbox || !inbox.root) return;
  var $ = inbox.$;
  var button = $("[data-bell-toggle]");
  var panel = $("#bell-panel");
  var count = $("[data-bell-count]");
  if (!button || !panel || !count) return;

  function setCount(value) {
    value = Math.max(0, value);
    count.textContent = String(value);
    count.hidden = value === 0;
    button.setAttribute("aria-label", value ? "Notifications, " + value + " unread" : "Notifications");
  }
  function syncFromPanel() {
    var list = $(".bell-list", panel);
    if (list) setCount(Number(list.dataset.unread) || 0);
  }
  function load() {
    if (!window.htmx) return Promise.resolve();
    return window.htmx.ajax("GET", button.dataset.url, { target: panel, swap: "innerHTML" });
  }
  function toggle(open) {
    panel.hidden = !open;
    button.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) load().then(function () {
      var first = $("a, button", panel);
      if (first) first.focus();
    });
  }
  button.addEventListener("click", function () { toggle(panel.hidden); });
  document.addEventListener("click", function (event) {
    if (!panel.hidden && !event.target.closest("[data-bell]")) toggle(false);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) {
      toggle(false);
      button.focus();
    }
  });
  // Whatever drew the panel (opening it, "mark all read"): the count follows it.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.target === panel) syncFromPanel();
  });
  document.body.addEventListener("notification:new", function (event) {
    var data = event.detail;
    setCount((Number(count.textContent) || 0) + 1);
    var what = data.kind === "assigned" ? "assigned to you" : "you were mentioned";
    inbox.toast("Conversation " + data.conversation + ": " + what);
    if (!panel.hidden) load();
  });
})();
