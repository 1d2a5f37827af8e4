// Menus (<details data-menu>): one open at a time, Escape and outside click close.
// The phone's filter drawer and the customer's details drawer.
(function () {
  "use strict";

  var inbox = window.FrontdeskInbox;
  if (!inbox || !inbox.root) return;
  var root = inbox.root, $ = inbox.$, $all = inbox.$all;

  function closeMenus(except) {
    $all("details[data-menu][open]").forEach(function (menu) {
      if (menu !== except) menu.removeAttribute("open");
    });
  }
  document.addEventListener("toggle", function (event) {
    var menu = event.target;
    if (!menu.matches || !menu.matches("details[data-menu]") || !menu.open) return;
    closeMenus(menu);
    var first = $(".menu-panel input[type=search], .menu-panel input[type=text], .menu-panel .menu-item", menu);
    if (first) first.focus();
  }, true);
  document.addEventListener("click", function (event) {
    if (!event.target.closest("details[data-menu]")) closeMenus(null);
  });

  function closeFilters(focusToggle) {
    root.classList.remove("filters-open");
    var toggle = $("[data-filters-toggle]");
    if (toggle) {
      toggle.setAttribute("aria-expanded", "false");
      if (focusToggle) toggle.focus();
    }
  }
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-filters-toggle]");
    if (toggle) {
      var open = root.classList.toggle("filters-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      var first = open && $("#inbox-filters a");
      if (first) first.focus();
    } else if (root.classList.contains("filters-open") && !event.target.closest("#inbox-filters")) {
      closeFilters(false); // a tap beside the phone's filter drawer closes it, as the menu drawer does
    }
  });

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-profile-toggle]");
    if (!toggle) return;
    var open = root.classList.toggle("profile-open");
    $all("[data-profile-toggle]").forEach(function (button) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
    var focus = open ? $(".profile-close") : $(".profile-toggle");
    if (focus) focus.focus();
  });

  // Escape closes the innermost thing open; true when it closed something.
  function escape() {
    var menu = $("details[data-menu][open]");
    if (menu) {
      menu.removeAttribute("open");
      $("summary", menu).focus();
      return true;
    }
    if (root.classList.contains("filters-open")) {
      closeFilters(true);
    } else if (root.classList.contains("profile-open")) {
      $(".profile-toggle").click();
    }
    return false;
  }

  inbox.menus = { close: closeMenus, escape: escape };
})();
