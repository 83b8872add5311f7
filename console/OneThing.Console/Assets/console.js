// Refreshes an inbox without a reload: asks the console every few seconds, sending back the ETag it was given, and
// swaps in the rows only when they changed (304 otherwise). Everything else in the console works without script.
(function () {
  "use strict";
  var inbox = document.querySelector("[data-poll]");
  if (!inbox) { return; }
  var url = inbox.getAttribute("data-poll");
  var etag = inbox.getAttribute("data-etag");
  var every = parseInt(inbox.getAttribute("data-interval") || "5000", 10);
  var live = document.getElementById("inbox-live");
  function poll() {
    var headers = {};
    if (etag) { headers["If-None-Match"] = etag; }
    fetch(url, { headers: headers, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 200) {
          etag = response.headers.get("ETag");
          return response.text().then(function (html) {
            inbox.innerHTML = html;
            if (live) { live.textContent = "待办已更新 " + new Date().toLocaleTimeString("zh-CN"); }
          });
        }
      })
      .catch(function () { /* the next round tries again */ })
      .then(function () { setTimeout(poll, every); });
  }
  setTimeout(poll, every);
})();
