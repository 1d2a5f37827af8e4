// Listening alerts, on every workspace page. live.js delivers the socket's messages as
// "frontdesk:live" events. A `listening.alert` (an unhappy or needs-a-reply mention)
// or `listening.spike` shows a notice saying why it fired: on the mentions page in its
// alert list (and the list reloads with the current filters), elsewhere as a small
// notice in the corner linking to the mention. Our own script, no library.
(function () {
  "use strict";

  var root = document.querySelector("[data-listening-list]");
  var box = root ? root.querySelector("[data-alert-list]") : null;

  function cornerBox() {
    var corner = document.getElementById("listening-corner");
    if (corner) return corner;
    corner = document.createElement("div");
    corner.id = "listening-corner";
    corner.setAttribute("aria-live", "assertive");
    corner.style.cssText =
      "position:fixed;right:1rem;bottom:1rem;z-index:60;display:grid;gap:.5rem;" +
      "max-width:min(26rem,calc(100vw - 2rem))";
    document.body.appendChild(corner);
    return corner;
  }

  function reloadList() {
    if (!root || !window.htmx) return;
    window.htmx.ajax("GET", root.dataset.listeningList + window.location.search, {
      target: "#mention-rows",
      swap: "outerHTML",
    });
  }

  function showAlert(title, reasons, link) {
    var target = box || cornerBox();
    var item = document.createElement("div");
    item.className = "listen-alert";
    item.setAttribute("role", "alert");
    item.dataset.listeningAlert = "";
    if (!box) {
      item.style.cssText =
        "display:flex;gap:.75rem;align-items:flex-start;padding:.7rem .9rem;border-radius:10px;" +
        "background:#fbe9e6;border:1px solid #f0cdc8;color:#6f1f18;" +
        "box-shadow:0 4px 14px rgba(24,32,28,.12)";
    }
    var text = document.createElement("div");
    var strong = document.createElement("strong");
    strong.textContent = title;
    var why = document.createElement("p");
    why.style.margin = "0";
    why.textContent = (reasons || []).join("; ");
    text.appendChild(strong);
    text.appendChild(why);
    item.appendChild(text);
    if (link) {
      var a = document.createElement("a");
      a.className = "btn btn-sm";
      a.href = link;
      a.textContent = "Show";
      item.appendChild(a);
    }
    if (!box) {
      var close = document.createElement("button");
      close.type = "button";
      close.className = "btn btn-sm btn-ghost";
      close.setAttribute("aria-label", "Dismiss");
      close.textContent = "×";
      close.addEventListener("click", function () { item.remove(); });
      item.appendChild(close);
    }
    target.insertBefore(item, target.firstChild);
    while (target.children.length > 5) target.removeChild(target.lastChild);
  }

  var timer = null;
  function reloadSoon() {
    window.clearTimeout(timer);
    timer = window.setTimeout(reloadList, 150);
  }

  document.addEventListener("frontdesk:live", function (event) {
    var type = event.detail.type, data = event.detail.data || {};
    if (type === "listening.alert") {
      showAlert(data.author + " (" + data.watch + "): " + (data.excerpt || ""), data.reasons, data.page);
      reloadSoon();
    } else if (type === "listening.spike") {
      showAlert("More mentions than usual: " + data.watch, data.reasons, data.page);
    } else if (type === "listening.mention") {
      reloadSoon();
    }
  });
  document.addEventListener("frontdesk:live-reconnected", reloadList);
})();
