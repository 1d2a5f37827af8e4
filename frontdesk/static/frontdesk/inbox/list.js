// The list: selection, j/k, checkboxes with shift-click ranges, the bulk bar; what a
// row keeps (its tick, selection, focus) when htmx draws it or the whole list again;
// the column beside a conversation on wide screens.
(function () {
  "use strict";

  var inbox = window.FrontdeskInbox;
  if (!inbox || !inbox.root) return;
  var root = inbox.root, $ = inbox.$, $all = inbox.$all, current = inbox.current;
  var WIDE = window.matchMedia("(min-width: 1200px)");

  function rows() { return $all("#conv-list .conv-row"); }
  function selectedRow() { return $("#conv-list .conv-row.is-selected"); }
  function markSelected(row) {
    rows().forEach(function (other) { other.classList.toggle("is-selected", other === row); });
  }
  function selectRow(row) {
    if (!row) return;
    markSelected(row);
    var link = $(".conv-link", row);
    if (link) link.focus();
    row.scrollIntoView({ block: "nearest" });
  }
  function move(delta) {
    var list = rows();
    if (!list.length) return;
    var index = list.indexOf(selectedRow());
    if (index === -1 && current) {
      index = list.findIndex(function (row) { return Number(row.dataset.number) === current; });
    }
    if (index === -1) index = delta > 0 ? 0 : list.length - 1;
    else index = Math.min(list.length - 1, Math.max(0, index + delta));
    selectRow(list[index]);
  }
  // The open conversation's row: marked, and never bold (the page shows its messages,
  // and reads them as they arrive).
  function markCurrent() {
    var row = current && document.getElementById("conv-" + current);
    if (!row) return;
    row.classList.add("is-current");
    row.classList.remove("is-unread");
    var dot = $(".unread-dot", row);
    if (dot) dot.remove();
    var link = $(".conv-link", row);
    if (link) link.setAttribute("aria-current", "page");
  }
  document.addEventListener("focusin", function (event) {
    var row = event.target.closest && event.target.closest(".conv-row");
    if (row) markSelected(row);
  });

  var lastChecked = null;
  function checkboxes() { return $all("#conv-list .conv-check"); }
  function updateBulk() {
    var form = $("#bulk-form");
    var chosen = checkboxes().filter(function (box) {
      box.closest(".conv-row").classList.toggle("is-checked", box.checked);
      return box.checked;
    });
    if (!form) return;
    form.classList.toggle("has-selection", chosen.length > 0);
    var count = $("[data-bulk-count]", form);
    if (count) count.textContent = chosen.length + " selected";
  }
  function toggleSelected() {
    var box = selectedRow() && $(".conv-check", selectedRow());
    if (!box) return false;
    box.checked = !box.checked;
    lastChecked = box;
    updateBulk();
    return true;
  }
  document.addEventListener("click", function (event) {
    var box = event.target.closest(".conv-check");
    if (!box) return;
    if (event.shiftKey && lastChecked && lastChecked !== box) {
      var boxes = checkboxes();
      var a = boxes.indexOf(lastChecked), b = boxes.indexOf(box);
      if (a !== -1 && b !== -1) {
        boxes.slice(Math.min(a, b), Math.max(a, b) + 1).forEach(function (other) {
          other.checked = box.checked;
        });
      }
    }
    lastChecked = box;
    updateBulk();
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches(".conv-check")) updateBulk();
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest("[data-bulk-clear]")) return;
    checkboxes().forEach(function (box) { box.checked = false; });
    updateBulk();
  });
  document.addEventListener("keydown", function (event) {
    // Enter in the tag box tags; without this the first button (Assign) would submit.
    if (event.key === "Enter" && event.target.matches("[data-bulk-tag]")) {
      event.preventDefault();
      var button = $("[data-bulk-tag-button]");
      if (button) button.click();
    }
  });
  // The server asks before resolving customers who still wait: the selection is
  // shown (the `e` shortcut selects its row) with the question and a confirm button.
  function hideConfirm() {
    var panel = $("[data-bulk-confirm]");
    if (panel) panel.hidden = true;
  }
  document.addEventListener("inbox:bulk-confirm", function (event) {
    var detail = event.detail || {};
    var panel = $("[data-bulk-confirm]");
    if (!panel) return;
    (detail.numbers || []).forEach(function (number) {
      var row = document.getElementById("conv-" + number);
      var box = row && $(".conv-check", row);
      if (box) box.checked = true;
    });
    updateBulk();
    $("[data-bulk-confirm-text]", panel).textContent = detail.text || "";
    panel.hidden = false;
    var confirm = $("[data-bulk-resolve-anyway]", panel);
    if (confirm) confirm.focus();
    inbox.announce(detail.text || "");
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-bulk-confirm-cancel]")) hideConfirm();
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches(".conv-check")) hideConfirm(); // a new selection: ask again
  });
  document.addEventListener("inbox:bulk-done", function (event) {
    hideConfirm();
    var numbers = (event.detail && event.detail.numbers) || [];
    checkboxes().forEach(function (box) { box.checked = false; });
    updateBulk();
    // The bar hides with the selection: keep the keyboard where the work was.
    var first = numbers.length && document.getElementById("conv-" + numbers[0]);
    if (first) selectRow(first);
    numbers.forEach(inbox.changed);
  });
  // `e` on the list: the bulk form's resolve, for the selected row alone.
  function resolveSelected() {
    var row = selectedRow(), form = $("#bulk-form");
    if (!row || !form || !window.htmx) return false;
    window.htmx.ajax("POST", form.getAttribute("hx-post"), {
      source: row,
      swap: "none",
      values: { numbers: row.dataset.number, action: "resolve" },
    });
    return true;
  }

  function removeRow(row) {
    var wasSelected = row.classList.contains("is-selected") && row.contains(document.activeElement);
    var next = row.nextElementSibling && row.nextElementSibling.classList.contains("conv-row")
      ? row.nextElementSibling : row.previousElementSibling;
    row.remove();
    if (wasSelected && next && next.classList.contains("conv-row")) selectRow(next);
    updateBulk();
  }

  // What the rows carry that the server does not know, kept across htmx's swaps.
  function rowState(row) {
    var box = $(".conv-check", row);
    return {
      checked: !!(box && box.checked),
      selected: row.classList.contains("is-selected"),
      focused: row.contains(document.activeElement),
    };
  }
  function rowsOf(number) {
    return rows().filter(function (row) { return row.dataset.number === String(number); });
  }
  // Two copies of one row (if ever) keep what either had.
  function remember(states, row) {
    var state = rowState(row), had = states[row.dataset.number];
    if (had) {
      state.checked = state.checked || had.checked;
      state.selected = state.selected || had.selected;
      state.focused = state.focused || had.focused;
    }
    states[row.dataset.number] = state;
  }
  // One row per conversation, whatever answers crossed: a row the last swap drew is
  // where that update meant it to be, so it stays (else the first); the others go,
  // and what they carried goes to it. True when a row was removed.
  function dedupe(drawn) {
    var byId = {}, removed = false;
    rows().forEach(function (row) { (byId[row.id] = byId[row.id] || []).push(row); });
    Object.keys(byId).forEach(function (id) {
      var copies = byId[id];
      if (copies.length < 2) return;
      var stays = copies.filter(function (row) { return drawn.indexOf(row) !== -1; })[0] || copies[0];
      var states = {};
      copies.forEach(function (row) { remember(states, row); });
      copies.forEach(function (row) { if (row !== stays) row.remove(); });
      restoreRow(stays, states[stays.dataset.number]);
      removed = true;
    });
    return removed;
  }
  function restoreRow(row, state) {
    var box = $(".conv-check", row);
    if (box) box.checked = state.checked;
    row.classList.toggle("is-selected", state.selected);
    if (state.focused) $(".conv-link", row).focus();
  }
  function restoreRows(states) {
    Object.keys(states).forEach(function (number) {
      var row = document.getElementById("conv-" + number);
      if (row) restoreRow(row, states[number]);
    });
  }
  var kept = null; // {rows: {number: state}, list: bool, before: [row]}
  var settling = null; // {number: state}: rows to restore again once htmx settles them
  var rowsBeforeMore = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.closest && event.detail.elt.closest("[data-load-more]")) {
      rowsBeforeMore = rows().length;
    }
  });
  // A row drawn in place (its own hx-get), put first by the row loader (_list_column.html)
  // or the whole first page drawn again: the same rows keep their state, new ones are
  // marked and announced.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail, target = detail.target;
    // The element that asked: htmx sets detail.elt to the target (#conv-list for the loader).
    var asker = detail.requestConfig && detail.requestConfig.elt;
    if (!target || !target.matches || !asker || !asker.matches) return;
    var loader = asker.matches("[data-row-loader]");
    var trigger = detail.requestConfig.triggeringEvent;
    var number = loader ? trigger && trigger.detail && trigger.detail.number : target.dataset.number;
    var own = loader ? rowsOf(number) : [target];
    if ((loader || target.matches(".conv-row")) && detail.xhr.status === 204) {
      // It left this list's filters.
      own.forEach(function (row) { if (document.body.contains(row)) removeRow(row); });
    } else if (detail.shouldSwap && (target.matches(".conv-row") || target.id === "conv-list")) {
      kept = { list: target.id === "conv-list", rows: {}, before: rows() };
      (kept.list ? rows() : rowsOf(number)).forEach(function (each) { remember(kept.rows, each); });
      if (loader) {
        var empty = $("[data-empty]", target);
        if (empty) empty.remove();
        own.forEach(function (row) { row.remove(); }); // it comes back first
      }
    }
  });
  document.addEventListener("htmx:afterSwap", function () {
    var state = kept;
    kept = null;
    if (!state) {
      // Rows drawn another way ("Older conversations"): the copy already shown stays.
      if (dedupe([])) updateBulk();
      return;
    }
    var fresh = [];
    dedupe(rows().filter(function (row) { return state.before.indexOf(row) === -1; }));
    restoreRows(state.rows);
    // htmx settles a redrawn element a moment later by putting the server's classes
    // back (attribute settling, for elements whose id was on the page): once more then.
    settling = Object.assign(settling || {}, state.rows);
    if (state.list) {
      rows().forEach(function (row) {
        if (!state.rows[row.dataset.number]) {
          row.classList.add("is-new");
          fresh.push(row);
        }
      });
      if (fresh.length) inbox.announce("New conversation from " + $(".conv-name", fresh[0]).textContent.trim());
    }
    markCurrent();
    updateBulk();
    inbox.call("presence", "renderAll");
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (settling) {  // every settle task has run by the first afterSettle
      var states = settling;
      settling = null;
      restoreRows(states);
      markCurrent();
      updateBulk();
    }
    if (rowsBeforeMore !== null && !document.body.contains(event.detail.target)) {
      // "Older conversations" replaced itself with rows: continue from the first new one.
      var added = rows().length - rowsBeforeMore;
      var firstNew = rows()[rowsBeforeMore];
      rowsBeforeMore = null;
      if (firstNew) selectRow(firstNew);
      inbox.announce(added + " older conversations");
      inbox.call("presence", "renderAll");
    }
  });

  // On a conversation page the list sits beside it on wide screens, loaded after the
  // conversation so the page itself stays as fast as a single conversation.
  function loadColumn() {
    var column = $("[data-lazy-column]");
    if (!column || column.dataset.loaded || !WIDE.matches || !window.htmx) return;
    column.dataset.loaded = "1";
    window.htmx.ajax("GET", root.dataset.columnUrl, { target: column, swap: "innerHTML" }).then(function () {
      markCurrent();
      var row = document.getElementById("conv-" + current);
      if (row) row.scrollIntoView({ block: "center" });
      inbox.call("presence", "renderAll");
    });
  }
  if (WIDE.addEventListener) WIDE.addEventListener("change", loadColumn);

  inbox.list = {
    move: move,
    selectedRow: selectedRow,
    toggleSelected: toggleSelected,
    resolveSelected: resolveSelected,
    check: function (row) {
      var box = $(".conv-check", row);
      box.checked = true;
      updateBulk();
    },
  };
  loadColumn();
  markCurrent();
  updateBulk();
})();
