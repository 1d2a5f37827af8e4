// The inbox's browser code, one small script per concern (inbox/_base.html loads them
// in order, deferred). They share one namespace, window.FrontdeskInbox: this file
// creates it with what every other part needs. Pages work without any of it (forms
// post and redirect); with it, htmx posts the forms, and live changes reach the page as
// DOM events on <body> (live-events.js) that the htmx elements of the templates listen
// for. Our own scripts, no library but htmx.
(function () {
  "use strict";

  var root = document.querySelector("[data-inbox]");
  var inbox = (window.FrontdeskInbox = { root: root });
  if (!root) return;

  inbox.page = root.dataset.page; // "list" | "conversation" | "search"
  inbox.me = String(root.dataset.member || "");
  inbox.current = inbox.page === "conversation" ? Number(root.dataset.conversation) : null;

  inbox.$ = function (selector, scope) { return (scope || document).querySelector(selector); };
  inbox.$all = function (selector, scope) {
    return Array.prototype.slice.call((scope || document).querySelectorAll(selector));
  };
  inbox.fragment = function (html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content;
  };
  inbox.processed = function (element) {
    if (window.htmx && element) window.htmx.process(element);
    return element;
  };
  inbox.announce = function (text) {
    var announcer = inbox.$("#inbox-announcer");
    if (!announcer) return;
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 30);
  };
  inbox.toast = function (text) {
    var region = inbox.$("#toasts");
    if (!region || !text) return;
    var item = document.createElement("div");
    item.className = "toast";
    item.textContent = text;
    region.appendChild(item);
    window.setTimeout(function () { item.classList.add("is-leaving"); }, 3200);
    window.setTimeout(function () { item.remove(); }, 3700);
  };
  inbox.isTyping = function (target) {
    if (!target || !target.closest) return false;
    if (target.closest("textarea, select, [contenteditable=''], [contenteditable='true']")) return true;
    var input = target.closest("input");
    return !!input && !/^(checkbox|radio|button|submit|reset)$/i.test(input.type);
  };
  // What a later part adds (presence, composer, list) is looked up when used, so the
  // parts may call each other whatever their order.
  inbox.call = function (part, method) {
    var args = Array.prototype.slice.call(arguments, 2);
    var found = inbox[part];
    return found && typeof found[method] === "function" ? found[method].apply(null, args) : undefined;
  };
})();
