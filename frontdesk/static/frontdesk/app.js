// Frontdesk page behaviour: our own small script, no framework beyond htmx.
(function () {
  "use strict";

  // Mobile navigation: the menu button opens the sidebar; Escape or a tap outside closes it.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest(".menu-toggle");
    if (toggle) {
      var open = document.body.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) {
        var first = document.querySelector(".sidebar a");
        if (first) first.focus();
      }
      return;
    }
    if (document.body.classList.contains("nav-open") && !event.target.closest(".sidebar")) {
      document.body.classList.remove("nav-open");
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && document.body.classList.contains("nav-open")) {
      document.body.classList.remove("nav-open");
      var toggle = document.querySelector(".menu-toggle");
      if (toggle) { toggle.setAttribute("aria-expanded", "false"); toggle.focus(); }
    }
    // "/" focuses the page's search box, as in most inboxes.
    if (event.key === "/" && !/input|textarea|select/i.test(document.activeElement.tagName)) {
      var search = document.querySelector("[data-search]");
      if (search) { event.preventDefault(); search.focus(); }
    }
  });

  // Copy buttons: <button data-copy="#id">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.value || source.textContent.trim()).then(function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    });
  });

  // Fields that only matter for some choices of a select in the same form:
  // <div data-show-when="name" data-show-values="a b" [data-show-also="other:c d"]>
  // shows while the select `name` is a or b (or `other` is c or d). Without
  // JavaScript every field stays visible.
  function showWhen(root) {
    root.querySelectorAll("[data-show-when]").forEach(function (block) {
      var form = block.closest("form");
      if (!form) return;
      var rules = [[block.getAttribute("data-show-when"), block.getAttribute("data-show-values")]];
      var also = block.getAttribute("data-show-also");
      if (also) rules.push(also.split(":"));
      var shown = rules.some(function (rule) {
        var select = form.elements[rule[0]];
        return select && (rule[1] || "").split(" ").indexOf(select.value) !== -1;
      });
      block.hidden = !shown;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches("select")) showWhen(event.target.form || document);
  });
  document.addEventListener("DOMContentLoaded", function () { showWhen(document); });

  // Confirm destructive actions: <form data-confirm="Really?">.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });
})();
