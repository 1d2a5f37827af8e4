// Relative times ("now", "5m", "3h", "2d", "12 Mar") on <time data-relative>, as the
// server writes them (views/common.short_when), kept current every minute.
(function () {
  "use strict";

  var inbox = window.FrontdeskInbox;
  if (!inbox || !inbox.root) return;

  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  function shortWhen(date) {
    var seconds = Math.max(0, (Date.now() - date.getTime()) / 1000);
    if (seconds < 60) return "now";
    if (seconds < 3600) return Math.floor(seconds / 60) + "m";
    if (seconds < 86400) return Math.floor(seconds / 3600) + "h";
    if (seconds < 7 * 86400) return Math.floor(seconds / 86400) + "d";
    var label = date.getDate() + " " + MONTHS[date.getMonth()];
    return date.getFullYear() === new Date().getFullYear() ? label : label + " " + date.getFullYear();
  }
  function refresh(scope) {
    inbox.$all("time[data-relative]", scope).forEach(function (time) {
      var date = new Date(time.getAttribute("datetime"));
      if (!isNaN(date)) time.textContent = shortWhen(date);
    });
  }

  inbox.times = { refresh: refresh };
  window.setInterval(function () { refresh(document); }, 60000);
  document.addEventListener("htmx:afterSettle", function (event) {
    refresh(document.body.contains(event.detail.target) ? event.detail.target : document);
  });
  refresh(document);
})();
