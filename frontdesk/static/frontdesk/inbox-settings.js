// Settings → Inbox: quick-set opening hours. Settings → Saved replies: insert a variable.
(function () {
  "use strict";

  function field(day, name) { return document.getElementById("id_" + day + "_" + name); }

  function setDay(day, open, from, to) {
    var box = field(day, "open");
    if (!box) return;
    box.checked = open;
    if (open) {
      field(day, "from").value = from;
      field(day, "to").value = to;
      field(day, "from2").value = "";
      field(day, "to2").value = "";
      var more = box.closest(".hours-row").querySelector(".hours-more");
      if (more) more.open = false;
    }
  }

  function days(text) { return text ? text.split(",") : []; }

  var quick = document.querySelector("[data-hours-quick]");
  if (quick) {
    quick.hidden = false;
    quick.addEventListener("click", function (event) {
      var preset = event.target.closest("[data-quick-preset]");
      if (preset) {
        days(preset.dataset.quickPreset).forEach(function (day) {
          setDay(day, true, preset.dataset.from, preset.dataset.to);
        });
        days(preset.dataset.quickClosed).forEach(function (day) { setDay(day, false); });
        return;
      }
      if (event.target.closest("[data-quick-apply]")) {
        var from = quick.querySelector("[data-quick-from]").value;
        var to = quick.querySelector("[data-quick-to]").value;
        days(quick.querySelector("[data-quick-days]").value).forEach(function (day) {
          setDay(day, true, from, to);
        });
      }
    });
  }

  // Once the text changes, an error from the last save is stale: the live preview
  // lists the current problems instead.
  document.addEventListener("input", function (event) {
    if (event.target.id !== "id_body") return;
    var field = event.target.closest(".field.has-error");
    if (!field) return;
    field.classList.remove("has-error");
    var stale = field.querySelector(".error");
    if (stale) stale.remove();
  });

  // Insert {{ name }} at the cursor of the saved reply's text, then refresh the preview.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-insert-variable]");
    var body = document.getElementById("id_body");
    if (!button || !body) return;
    var text = "{{ " + button.dataset.insertVariable + " }}";
    var start = body.selectionStart, end = body.selectionEnd;
    body.value = body.value.slice(0, start) + text + body.value.slice(end);
    body.focus();
    body.selectionStart = body.selectionEnd = start + text.length;
    body.dispatchEvent(new Event("fill"));
  });
})();

// Settings → Inbox → Routing: drag a rule to a new place (the ↑/↓ buttons do the same
// without a mouse); the server keeps the order, and the page reloads to show it.
(function () {
  "use strict";
  var list = document.querySelector("[data-routing-rules]");
  if (!list) return;
  var dragged = null;
  function rows() { return Array.prototype.slice.call(list.querySelectorAll("[data-rule]")); }
  list.addEventListener("dragstart", function (event) {
    dragged = event.target.closest("[data-rule]");
    if (!dragged) return;
    dragged.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.dataset.rule);
  });
  list.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("is-dragging");
    rows().forEach(function (row) { row.classList.remove("is-drop-target"); });
    dragged = null;
  });
  list.addEventListener("dragover", function (event) {
    var over = event.target.closest("[data-rule]");
    if (!dragged || !over) return;
    event.preventDefault();
    rows().forEach(function (row) { row.classList.toggle("is-drop-target", row === over); });
  });
  list.addEventListener("drop", function (event) {
    var over = event.target.closest("[data-rule]");
    if (!dragged || !over || over === dragged) return;
    event.preventDefault();
    var to = rows().indexOf(over);
    var token = document.querySelector("[name=csrfmiddlewaretoken]");
    var body = new URLSearchParams({ to: String(to) });
    fetch(dragged.dataset.moveUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "" }
    }).then(function () { window.location.reload(); });
  });
})();
