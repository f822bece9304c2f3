// The asset page: while a co-branded copy is being prepared, ask every two seconds
// whether it is ready, then offer its download (or say it failed). Without
// JavaScript the page shows a "Refresh" link instead.
(function () {
  "use strict";
  var POLL_MS = 2000;
  var GIVE_UP_MS = 5 * 60 * 1000;

  function watch(box) {
    var started = Date.now();
    function poll() {
      fetch(box.dataset.cobrandStatus, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { state: "pending" }; })
        .then(function (body) {
          if (body.state === "ready" && body.download_url) {
            var link = document.createElement("a");
            link.className = "btn btn-outline-primary";
            link.href = body.download_url;
            link.setAttribute("download", "");
            link.textContent = box.dataset.readyLabel;
            box.replaceChildren(link);
            box.dataset.state = "ready";
            link.focus();
          } else if (body.state === "failed" || body.state === "none") {
            window.location.reload();
          } else if (Date.now() - started < GIVE_UP_MS) {
            window.setTimeout(poll, POLL_MS);
          }
        })
        .catch(function () {
          if (Date.now() - started < GIVE_UP_MS) window.setTimeout(poll, POLL_MS * 2);
        });
    }
    window.setTimeout(poll, POLL_MS);
  }

  document.querySelectorAll("[data-cobrand-status][data-state='pending']").forEach(watch);
})();
