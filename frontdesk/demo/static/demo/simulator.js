// The demo phone: keep the newest text in view, clear the box once a text is sent,
// fill it from the suggestions, send on Enter (Shift+Enter for a new line).
(function () {
  "use strict";

  function scrollThread() {
    var thread = document.getElementById("phone-thread");
    if (thread) thread.scrollTop = thread.scrollHeight;
  }

  function composer() {
    return document.querySelector("[data-phone-composer]");
  }

  document.addEventListener("DOMContentLoaded", function () {
    scrollThread();
    var form = composer();
    if (!form) return;
    var box = form.querySelector("textarea");
    var clock = document.querySelector("[data-phone-clock]");
    if (clock) {
      clock.textContent = new Date().toLocaleTimeString([], { hour: "numeric", minute: "2-digit" }).replace(/\s?[AP]M$/i, "");
    }
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        if (box.value.trim()) form.requestSubmit();
      }
    });
    document.querySelectorAll("[data-phone-suggestion]").forEach(function (button) {
      button.addEventListener("click", function () {
        box.value = button.textContent.trim();
        box.focus();
      });
    });
  });

  // Only the thread is ever swapped (a poll answers 204 when nothing changed).
  document.addEventListener("htmx:afterSettle", scrollThread);

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = composer();
    if (!form || event.detail.elt !== form || !event.detail.successful) return;
    var failed = (event.detail.xhr.getResponseHeader("HX-Trigger") || "").indexOf("phone-send-failed") >= 0;
    if (!failed) form.reset();
    scrollThread();
  });
})();
