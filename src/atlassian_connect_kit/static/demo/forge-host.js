/* The demo host page's Forge side: answers the stand-in bridge (forge-bridge.js) of a Forge page
 * open in the host's iframe, as Jira's page answers Forge's own bridge.
 *
 * getContext and invoke are asked of the demo host's server (api/forge/context and
 * api/forge/invoke), which mints the Forge Invocation Token and the viewer's token with the fake
 * site's keys and calls the app's remote; navigate (to an issue or another page of the app) and
 * reload move the host page. A dashboard gadget's submit is kept by the host's server
 * (api/forge/submit), and the gadget then shows its view again; the host's "Configure" button
 * reopens it on its edit view. */
(function () {
  "use strict";
  var viewer = document.getElementById("viewer");
  var entry = "view"; // the open gadget's entry point: "view", or "edit" after "Configure"

  // The Forge page open now: its module key and project, or null.
  function openPage() {
    var link = document.querySelector('nav a[data-forge][aria-current="page"]');
    return link ? {
      module: link.dataset.module,
      project: link.dataset.project || "",
      gadget: Boolean(link.dataset.dashboard)
    } : null;
  }

  function json(response) {
    return response.json().then(function (body) {
      if (!response.ok) { throw new Error(body && body.error ? body.error : "HTTP " + response.status); }
      return body;
    });
  }

  function context(page) {
    var params = new URLSearchParams({ module: page.module, user: viewer.value, project: page.project });
    if (page.gadget && entry === "edit") { params.set("entry", "edit"); }
    return fetch("api/forge/context?" + params.toString()).then(json);
  }

  // What @forge/bridge's invokeRemote receives: {success, payload} or {success: false, error},
  // each the remote's {status, headers, body}.
  function invoke(page, input) {
    return fetch("api/forge/invoke", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        module: page.module,
        user: viewer.value,
        project: page.project,
        path: input && input.path,
        method: (input && input.method) || "GET",
        body: input && input.body !== undefined ? input.body : null
      })
    }).then(json).then(function (answer) {
      var ok = answer.status >= 200 && answer.status < 300;
      return ok ? { success: true, payload: answer } : { success: false, error: answer };
    });
  }

  // Moves the host page as host.js's own routing does (it follows popstate).
  function go(url) {
    window.history.pushState(null, "", url);
    window.dispatchEvent(new PopStateEvent("popstate"));
  }

  function navigate(location) {
    if (location && location.target === "issue" && location.issueKey) {
      var url = new URL(window.location.pathname, window.location.href);
      url.searchParams.set("issue", String(location.issueKey));
      go(url);
      return Promise.resolve();
    }
    if (location && location.target === "module" && location.moduleKey) {
      // Another page of the app: the host's own link to that Forge module opens it.
      var selector = 'nav a[data-forge][data-module="' + CSS.escape(String(location.moduleKey)) +
        '"]:not([data-project])';
      var link = document.querySelector(selector);
      if (link) {
        link.click();
        return Promise.resolve();
      }
      return Promise.reject(new Error("no such module in this app: " + location.moduleKey));
    }
    return Promise.reject(new Error("the demo host navigates to issues and the app's pages only"));
  }

  // Shows the open gadget again, on its view or its edit view.
  function reopen(entryPoint) {
    entry = entryPoint;
    var frame = document.getElementById("addon-frame");
    frame.src = frame.src;
  }

  function submit(page, payload) {
    return fetch("api/forge/submit", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ module: page.module, user: viewer.value, payload: payload })
    }).then(json).then(function (result) {
      window.setTimeout(function () { reopen("view"); }, 0);
      return result;
    });
  }

  document.getElementById("gadget-configure").addEventListener("click", function () {
    var page = openPage();
    if (page && page.gadget) { reopen("edit"); }
  });
  document.addEventListener("click", function (event) {
    // Another page opened from the menu starts on its view.
    if (event.target.closest && event.target.closest("nav a")) { entry = "view"; }
  });

  window.addEventListener("message", function (event) {
    var data = event.data;
    var frame = document.getElementById("addon-frame");
    if (!data || data.type !== "ack-forge" || !frame || event.source !== frame.contentWindow) { return; }
    var page = openPage();
    var answer;
    if (!page) {
      answer = Promise.reject(new Error("no Forge page is open"));
    } else if (data.name === "getContext") {
      answer = context(page);
    } else if (data.name === "invoke") {
      answer = invoke(page, data.payload);
    } else if (data.name === "submit" && page.gadget) {
      answer = submit(page, data.payload);
    } else if (data.name === "navigate") {
      answer = navigate(data.payload);
    } else if (data.name === "reload") {
      answer = Promise.resolve(go(window.location.href));
    } else {
      answer = Promise.reject(new Error("the demo host does not support " + data.name));
    }
    answer.then(function (result) {
      event.source.postMessage({ type: "ack-forge-reply", id: data.id, result: result }, "*");
    }, function (error) {
      event.source.postMessage({ type: "ack-forge-reply", id: data.id, error: String(error.message || error) }, "*");
    });
  });
}());
