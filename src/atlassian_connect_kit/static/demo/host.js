/* The demo host page: opens the add-on's pages in an iframe with freshly signed URLs and
 * answers the stand-in all.js, as Jira's own page would.
 *
 * Like Jira, the host's URL says what is open, so a reload, a bookmark or a shared link comes
 * back to it: `?module=KEY` (and `&project=KEY` for a project page) for an add-on page, with the
 * page's own state as `ac.`-prefixed parameters (AP.history), or `?issue=KEY` for an issue that
 * a page navigated to (AP.navigator.go("issue", ...)). */
(function () {
  "use strict";
  var APP_PREFIX = "ac.";
  var frame = document.getElementById("addon-frame");
  var issueView = document.getElementById("issue-view");
  var userSelect = document.getElementById("viewer");
  var title = document.getElementById("page-title");
  var gadgetBar = document.getElementById("gadget-bar");
  var links = Array.prototype.slice.call(document.querySelectorAll("nav a[data-module]"));
  var current = null;
  var entry = { state: null, title: null, hash: "" };
  // Whether the page in the frame asked to fill the content area (AP.sizeToParent): the host
  // then keeps it there as the window resizes, and the page's own height does not count.
  var fillsParent = false;

  function viewer() { return userSelect.selectedOptions[0]; }

  // The add-on page's own parameters in the host's URL, without their prefix.
  function appQuery(url) {
    var query = {};
    url.searchParams.forEach(function (value, name) {
      if (name.indexOf(APP_PREFIX) === 0 && value) { query[name.slice(APP_PREFIX.length)] = value; }
    });
    return query;
  }

  function pageUrl(link, query, hash) {
    var url = new URL(window.location.pathname, window.location.href);
    url.searchParams.set("module", link.dataset.module);
    if (link.dataset.project) { url.searchParams.set("project", link.dataset.project); }
    Object.keys(query).forEach(function (name) {
      if (query[name]) { url.searchParams.set(APP_PREFIX + name, query[name]); }
    });
    if (hash) { url.hash = "!" + hash; }
    return url;
  }

  function findLink(url) {
    var module = url.searchParams.get("module");
    var project = url.searchParams.get("project") || "";
    return links.find(function (a) {
      return a.dataset.module === module && (a.dataset.project || "") === project;
    }) || null;
  }

  function markCurrent(link) {
    links.forEach(function (a) { a.setAttribute("aria-current", a === link ? "page" : "false"); });
  }

  // Opens an add-on page; Jira signs the iframe URL for the viewer, with the page's `ac.`
  // parameters as context for any {ac.name} in the module's URL.
  function open(link, query) {
    var params = new URLSearchParams({ module: link.dataset.module, user: userSelect.value });
    if (link.dataset.project) { params.set("project", link.dataset.project); }
    Object.keys(query).forEach(function (name) { params.set(APP_PREFIX + name, query[name]); });
    // A Forge page is the same file for everyone: what it shows comes through its bridge
    // (forge-host.js), so its URL needs no signature.
    var located = link.dataset.forge
      ? Promise.resolve({ url: "forge/" + encodeURIComponent(link.dataset.module) + "/index.html" })
      : fetch("api/sign?" + params.toString()).then(function (response) {
        if (!response.ok) { throw new Error("signing failed: " + response.status); }
        return response.json();
      });
    return located.then(function (data) {
      current = link;
      markCurrent(link);
      title.textContent = link.textContent;
      issueView.hidden = true;
      // A dashboard item sits in a gadget's frame, with Jira's "Configure" menu item above it.
      var gadget = Boolean(link.dataset.dashboard);
      gadgetBar.hidden = !gadget;
      frame.parentElement.classList.toggle("dashboard", gadget);
      // A fresh iframe each time: its first load adds no entry to the joint session history,
      // so the browser's Back button moves through the host's pages as in Jira.
      fillsParent = false;
      var fresh = frame.cloneNode(false);
      fresh.hidden = false;
      fresh.src = data.url;
      frame.replaceWith(fresh);
      frame = fresh;
    }).catch(function (error) { title.textContent = error.message; });
  }

  // Jira's issue view, as far as the demo has one: the issue's key and summary.
  function showIssue(key) {
    return fetch("api/issue?key=" + encodeURIComponent(key)).then(function (response) {
      return response.ok ? response.json() : { key: key, summary: "No such issue on this site" };
    }).then(function (issue) {
      current = null;
      markCurrent(null);
      gadgetBar.hidden = true;
      title.textContent = issue.key;
      document.getElementById("issue-summary").textContent = issue.summary;
      frame.hidden = true;
      issueView.hidden = false;
    });
  }

  // Shows what the host's URL names.
  function route() {
    var url = new URL(window.location.href);
    var issue = url.searchParams.get("issue");
    if (issue) { return showIssue(issue); }
    var link = findLink(url) || links[0];
    if (!link) { return null; }
    entry = { state: null, title: null, hash: url.hash.replace(/^#!?/, "") };
    return open(link, appQuery(url));
  }

  links.forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      entry = { state: null, title: null, hash: "" };
      window.history.pushState(null, "", pageUrl(link, {}, ""));
      open(link, {});
    });
  });
  // Jira's gadget menu: "Configure" calls the item's AP.jira.DashboardItem edit callback.
  document.getElementById("gadget-configure").addEventListener("click", function () {
    frame.contentWindow.postMessage({ type: "ack-ap-event", name: "jira_dashboard_item_edit", data: {} }, "*");
  });
  userSelect.addEventListener("change", function () { if (current) { route(); } });
  window.addEventListener("popstate", function () {
    var url = new URL(window.location.href);
    if (current && !url.searchParams.get("issue") && findLink(url) === current) {
      // The add-on page's own history: tell the page, as Jira does, instead of reloading it.
      entry.hash = url.hash.replace(/^#!?/, "");
      frame.contentWindow.postMessage({
        type: "ack-ap-event",
        name: "history.popstate",
        data: { state: entry.state, title: entry.title, hash: entry.hash, query: appQuery(url) }
      }, "*");
      return;
    }
    route();
  });

  function changeHistory(mode, change) {
    if (!current) { return; }
    var url = new URL(window.location.href);
    var query = change.query ? change.query : appQuery(url);
    var hash = change.hash !== null && change.hash !== undefined ? change.hash : entry.hash;
    entry = {
      state: change.state === undefined ? entry.state : change.state,
      title: change.title || entry.title,
      hash: hash
    };
    var next = pageUrl(current, query, hash);
    if (mode === "push") {
      window.history.pushState(null, "", next);
    } else {
      window.history.replaceState(null, "", next);
    }
    if (entry.title) { document.title = entry.title; }
  }

  function fillParent() {
    frame.style.height = (window.innerHeight - frame.getBoundingClientRect().top - 8) + "px";
  }

  window.addEventListener("resize", function () {
    if (fillsParent) { fillParent(); }
  });

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
        if (!fillsParent && data.args[1] && data.args[1] !== "auto") { frame.style.height = data.args[1]; }
        break;
      case "sizeToParent":
        fillsParent = true;
        fillParent();
        break;
      case "reload":
        route();
        break;
      case "navigate":
        var target = data.args[1] || {};
        var module = data.args[0] === "addonmodule" ? links.find(function (a) {
          return a.dataset.module === target.moduleKey && !a.dataset.project && !a.dataset.forge;
        }) : null;
        if (module) {
          // An add-on page with its own parameters (customData), as `ac.` parameters.
          var custom = {};
          Object.keys(target.customData || {}).forEach(function (name) {
            custom[name] = String(target.customData[name]);
          });
          entry = { state: null, title: null, hash: "" };
          window.history.pushState(null, "", pageUrl(module, custom, ""));
          open(module, custom);
        } else if (data.args[0] === "issue" && data.args[1] && data.args[1].issueKey) {
          var url = new URL(window.location.pathname, window.location.href);
          url.searchParams.set("issue", String(data.args[1].issueKey));
          window.history.pushState(null, "", url);
          showIssue(String(data.args[1].issueKey));
        } else {
          route();
        }
        break;
      case "getCurrentUser":
        reply({ atlassianAccountId: userSelect.value });
        break;
      case "getTimeZone":
        reply(viewer().dataset.timeZone);
        break;
      case "getLocale":
        reply(viewer().dataset.locale);
        break;
      case "historyGetState":
        var query = appQuery(new URL(window.location.href));
        reply(data.args[0] === "all"
          ? { state: entry.state, title: entry.title, hash: entry.hash, query: query }
          : entry.hash);
        break;
      case "historyChange":
        changeHistory(data.args[0], data.args[1] || {});
        break;
      case "historyGo":
        window.history.go(Number(data.args[0]) || 0);
        break;
      default:
        break;
    }
  });

  route();
}());
