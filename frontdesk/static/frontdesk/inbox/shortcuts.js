// Keyboard shortcuts (the "?" dialog lists them): j/k move, o/Enter open, x select,
// r reply, n note, e resolve, a assign, u back, / search, Escape closes.
(function () {
  "use strict";

  var inbox = window.FrontdeskInbox;
  if (!inbox || !inbox.root) return;
  var root = inbox.root, $ = inbox.$, page = inbox.page;
  var list = inbox.list, composer = inbox.composer;
  var dialog = $("#shortcuts");

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-shortcuts-open]") && dialog) dialog.showModal();
  });

  var keys = {
    j: function () { list.move(1); },
    k: function () { list.move(-1); },
    o: function () { return open(true); },
    Enter: function (event) { return open(!event.target.closest("a, button, summary, input")); },
    x: function () { return list.toggleSelected(); },
    r: function () { return !!composer && composer.canReply() && (composer.focus("reply"), true); },
    n: function () { return !!composer && (composer.focus("note"), true); },
    e: function () {
      // A customer still waits: the first e asks (opens the question), the second confirms.
      var anyway = $("#resolve-menu[open] [data-resolve-anyway]");
      if (page === "conversation" && anyway) return anyway.click(), true;
      var resolveButton = $("[data-shortcut-resolve]");
      if (page === "conversation" && resolveButton) return resolveButton.click(), true;
      return page === "list" && list.resolveSelected();
    },
    a: function () {
      var assignMenu = $("#assign-menu");
      if (page === "conversation" && assignMenu) {
        assignMenu.setAttribute("open", "");
        var item = $(".menu-item", assignMenu);
        if (item) item.focus();
        return true;
      }
      if (list.selectedRow() && $("#bulk-assignee")) {
        list.check(list.selectedRow());
        $("#bulk-assignee").focus();
        return true;
      }
      return false;
    },
    u: function () {
      var back = $("[data-back]");
      return !!back && (back.click(), true);
    },
    "/": function () {
      var search = $("[data-search]");
      if (search) search.focus();
      else window.location.href = root.dataset.searchUrl;
    },
    "?": function () { return !!dialog && (dialog.showModal(), true); },
  };
  function open(allowed) {
    var row = list.selectedRow();
    var link = row && $(".conv-link", row);
    if (!link || !allowed) return false;
    link.click();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.metaKey || event.ctrlKey || event.altKey) return;
    if (inbox.isTyping(event.target)) return;
    if (dialog && dialog.open) return;
    if (event.key === "Escape") {
      if (inbox.menus.escape()) event.preventDefault();
      return;
    }
    if (event.target.closest && event.target.closest("details[data-menu][open]") && /^[jk]$/.test(event.key)) return;
    var handler = Object.prototype.hasOwnProperty.call(keys, event.key) && keys[event.key];
    // A handler answers false when the key means nothing here (undefined: it acted).
    if (handler && handler(event) !== false) event.preventDefault();
  });
})();
