/* The demo host page: opens the add-on's pages in an iframe with freshly signed URLs and
 * answers the stand-in all.js, as Jira's own page would. */
(function () {
  "use strict";
  var frame = document.getElementById("addon-frame");
  var userSelect = document.getElementById("viewer");
  var title = document.getElementById("page-title");
  var current = null;

  function open(link) {
    var params = new URLSearchParams({ module: link.dataset.module, user: userSelect.value });
    if (link.dataset.project) { params.set("project", link.dataset.project); }
    fetch("api/sign?" + params.toString()).then(function (response) {
      if (!response.ok) { throw new Error("signing failed: " + response.status); }
      return response.json();
    }).then(function (data) {
      current = link;
      document.querySelectorAll("nav a[data-module]").forEach(function (a) {
        a.setAttribute("aria-current", a === link ? "page" : "false");
      });
      title.textContent = link.textContent;
      frame.src = data.url;
    }).catch(function (error) { title.textContent = error.message; });
  }

  document.querySelectorAll("nav a[data-module]").forEach(function (link) {
    link.addEventListener("click", function (event) { event.preventDefault(); open(link); });
  });
  userSelect.addEventListener("change", function () { if (current) { open(current); } });

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || data.type !== "ack-ap" || event.source !== frame.contentWindow) { return; }
    function reply(result) {
      event.source.postMessage({ type: "ack-ap-reply", id: data.id, result: result }, "*");
    }
    switch (data.method) {
      case "getToken":
        fetch("api/context-token?user=" + encodeURIComponent(userSelect.value))
          .then(function (r) { return r.json(); })
          .then(function (body) { reply(body.token); });
        break;
      case "resize":
        if (data.args[1] && data.args[1] !== "auto") { frame.style.height = data.args[1]; }
        break;
      case "sizeToParent":
        frame.style.height = (window.innerHeight - frame.getBoundingClientRect().top - 8) + "px";
        break;
      case "reload":
        if (current) { open(current); }
        break;
      case "navigate":
        if (current) { open(current); }
        break;
      case "getCurrentUser":
        reply({ atlassianAccountId: userSelect.value });
        break;
      default:
        break;
    }
  });

  var first = document.querySelector("nav a[data-module]");
  if (first) { open(first); }
}());
