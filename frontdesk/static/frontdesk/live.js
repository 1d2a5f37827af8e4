// Live updates: one websocket per page, for the workspace named on <body data-workspace>.
//
// Each server message {type, data} is re-dispatched as
//   document.addEventListener("frontdesk:live", (e) => e.detail.type, e.detail.data)
// and after a dropped connection comes back, "frontdesk:live-reconnected" fires so a
// page can reload whatever it may have missed. <body data-live="on|off"> drives the
// "Live" indicator. A page sends a frame on the same socket by dispatching
//   document.dispatchEvent(new CustomEvent("frontdesk:live-send", {detail: {type: ...}}))
// (dropped while the socket is down). The inbox names these events for its htmx
// elements as DOM events on <body> (inbox/live-events.js). Our own script, no library.
(function () {
  "use strict";

  var body = document.body;
  var workspace = body && body.dataset.workspace;
  if (!workspace || !("WebSocket" in window)) return;

  var FORBIDDEN = 4403; // signed out or no longer a member: reconnecting cannot help
  var PING_MS = 25000; // below the usual 60 s idle timeout of proxies
  var MAX_DELAY_MS = 30000;
  // The session cookie belongs to the host name the page was loaded from, so a
  // socket on another port must use that same name. `frontdesk serve` announces the
  // address it listens on: 0.0.0.0 (every interface) stands for "this page's host",
  // and a loopback address for whichever loopback name the page was opened with.
  var ANY_HOST = ["0.0.0.0", "[::]"];
  var LOOPBACK = ["127.0.0.1", "localhost", "[::1]"];

  function socketUrl() {
    var configured = body.dataset.websocketUrl || "/ws/";
    var url = new URL(configured, window.location.href);
    var secure = window.location.protocol === "https:";
    if (url.protocol === "http:" || url.protocol === "https:") {
      url.protocol = url.protocol === "https:" || secure ? "wss:" : "ws:";
    }
    if (secure && url.protocol === "ws:") url.protocol = "wss:";
    var pageHost = window.location.hostname;
    if (
      ANY_HOST.indexOf(url.hostname) !== -1 ||
      (LOOPBACK.indexOf(url.hostname) !== -1 && LOOPBACK.indexOf(pageHost) !== -1)
    ) {
      url.hostname = pageHost;
    }
    url.searchParams.set("workspace", workspace);
    return url.toString();
  }

  var socket = null;
  var attempts = 0;
  var everConnected = false;
  var retryTimer = null;
  var pingTimer = null;
  var stopped = false;

  function setLive(on) {
    body.dataset.live = on ? "on" : "off";
  }

  function scheduleReconnect() {
    if (stopped || retryTimer) return;
    // Exponential backoff with jitter, so a restarted server is not hit by every
    // open page in the same instant.
    var delay = Math.min(MAX_DELAY_MS, 1000 * Math.pow(2, attempts));
    delay = delay / 2 + Math.random() * (delay / 2);
    attempts += 1;
    retryTimer = window.setTimeout(function () {
      retryTimer = null;
      connect();
    }, delay);
  }

  function connect() {
    if (stopped) return;
    try {
      socket = new WebSocket(socketUrl());
    } catch (error) {
      setLive(false);
      scheduleReconnect();
      return;
    }
    socket.addEventListener("open", function () {
      attempts = 0;
      setLive(true);
      if (everConnected) {
        document.dispatchEvent(new CustomEvent("frontdesk:live-reconnected"));
      }
      everConnected = true;
      window.clearInterval(pingTimer);
      pingTimer = window.setInterval(function () {
        if (socket && socket.readyState === WebSocket.OPEN) {
          socket.send(JSON.stringify({ type: "ping" }));
        }
      }, PING_MS);
    });
    socket.addEventListener("message", function (event) {
      var message;
      try {
        message = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (!message || typeof message.type !== "string" || message.type === "pong") return;
      document.dispatchEvent(
        new CustomEvent("frontdesk:live", { detail: { type: message.type, data: message.data || {} } })
      );
    });
    socket.addEventListener("close", function (event) {
      window.clearInterval(pingTimer);
      socket = null;
      setLive(false);
      if (event.code === FORBIDDEN) {
        stopped = true;
        return;
      }
      scheduleReconnect();
    });
  }

  document.addEventListener("frontdesk:live-send", function (event) {
    if (socket && socket.readyState === WebSocket.OPEN && event.detail) {
      socket.send(JSON.stringify(event.detail));
    }
  });

  // Coming back online or to the tab: try now rather than at the end of a long backoff.
  function retryNow() {
    if (stopped || socket) return;
    window.clearTimeout(retryTimer);
    retryTimer = null;
    attempts = 0;
    connect();
  }
  window.addEventListener("online", retryNow);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") retryNow();
  });
  // Leaving the page closes the socket politely; a page restored from the
  // back/forward cache opens a new one.
  window.addEventListener("pagehide", function () {
    stopped = true;
    if (socket) socket.close(1000);
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      stopped = false;
      retryNow();
    }
  });

  setLive(false);
  connect();
})();
