// Listening pages: live alerts and redraws. live.js delivers the socket's messages
// as "frontdesk:live" events; on the mentions page a `listening.alert` (an unhappy or
// needs-a-reply mention) or `listening.spike` shows a banner saying why it fired,
// and any new or changed mention reloads the list (htmx) with the current filters.
(function () {
  "use strict";

  var root = document.querySelector("[data-listening-list]");
  if (!root) return;
  var alertsBox = root.querySelector("[data-alert-list]");

  function reloadList() {
    if (!window.htmx) return;
    window.htmx.ajax("GET", root.dataset.listeningList + window.location.search, {
      target: "#mention-rows",
      swap: "outerHTML",
    });
  }

  function showAlert(title, reasons, link, label) {
    var box = document.createElement("div");
    box.className = "listen-alert";
    box.setAttribute("role", "alert");
    box.dataset.listeningAlert = "";
    var text = document.createElement("div");
    var strong = document.createElement("strong");
    strong.textContent = title;
    var why = document.createElement("p");
    why.textContent = (reasons || []).join("; ");
    text.appendChild(strong);
    text.appendChild(why);
    box.appendChild(text);
    if (link) {
      var a = document.createElement("a");
      a.className = "btn btn-sm";
      a.href = link;
      a.textContent = label;
      box.appendChild(a);
    }
    alertsBox.insertBefore(box, alertsBox.firstChild);
    while (alertsBox.children.length > 5) alertsBox.removeChild(alertsBox.lastChild);
  }

  var timer = null;
  function reloadSoon() {
    window.clearTimeout(timer);
    timer = window.setTimeout(reloadList, 150);
  }

  document.addEventListener("frontdesk:live", function (event) {
    var type = event.detail.type, data = event.detail.data || {};
    if (type === "listening.alert") {
      showAlert(
        data.author + " (" + data.watch + "): " + (data.excerpt || ""),
        data.reasons,
        data.page,
        "Show"
      );
      reloadSoon();
    } else if (type === "listening.spike") {
      showAlert("More mentions than usual: " + data.watch, data.reasons, data.page, "Show");
    } else if (type === "listening.mention") {
      if (!document.getElementById("mention-" + data.id)) return reloadSoon();
      reloadSoon();
    }
  });
  document.addEventListener("frontdesk:live-reconnected", reloadList);
})();
