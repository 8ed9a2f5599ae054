/*
 * Smart Timesheet dashboard gadget: a compact timesheet grid or a saved report on a Jira
 * dashboard, with an edit view for its configuration.
 *
 * Its configuration is stored by Jira. In a Connect dashboard item it is the item's property,
 * read and written through /timesheet/api/gadget as the viewer (Jira passes the dashboard and
 * item ids in the iframe URL); Jira's "Configure" menu calls AP.jira.DashboardItem's edit
 * callback. In a Forge gadget it is the gadget's configuration: the edit entry point submits it
 * with view.submit and the view reads it from the context; a saved report's parameters then come
 * from /timesheet/api/gadget/saved through invokeRemote. Either way the grid comes from
 * /timesheet/api/report, computed as the viewer, with the page's number format
 * (timesheet-format.js), and links to the full page with the same parameters.
 */
(function () {
  "use strict";

  const root = document.getElementById("gadget");
  const data = root.dataset;
  const format = window.SmartTimesheetFormat;
  const $ = (id) => document.getElementById(id);
  const form = $("tg-edit");
  const view = $("tg-view");
  const defaults = JSON.parse(data.defaults || "{}");
  const PRESET_LABELS = {
    "this-week": "This week",
    "last-week": "Last week",
    "this-month": "This month",
    "last-month": "Last month",
    "this-quarter": "This quarter",
    "last-quarter": "Last quarter",
    "this-year": "This year",
    "last-year": "Last year",
  };
  const HOST_TIMEOUT_MS = 5000;

  let current = null; // {config, query} shown now
  let token = data.token || "";

  // --- hosts -------------------------------------------------------------------------------

  function ap() {
    return window.AP && typeof window.AP === "object" ? window.AP : null;
  }

  function waitForAp() {
    // all.js loads asynchronously; the gadget asks for it only when it needs the host.
    return new Promise((resolve) => {
      const started = Date.now();
      (function poll() {
        if (ap() || Date.now() - started > HOST_TIMEOUT_MS) {
          resolve(ap());
        } else {
          window.setTimeout(poll, 25);
        }
      })();
    });
  }

  function freshToken() {
    return waitForAp().then(
      (AP) =>
        new Promise((resolve) => {
          if (!AP || !AP.context || typeof AP.context.getToken !== "function") {
            resolve(token);
            return;
          }
          const timer = window.setTimeout(() => resolve(token), HOST_TIMEOUT_MS);
          AP.context.getToken((value) => {
            window.clearTimeout(timer);
            token = value || token;
            resolve(token);
          });
        }),
    );
  }

  // The dashboard gives the gadget the height of its content, which shrinks as well as grows.
  function resize() {
    const AP = ap();
    if (AP && typeof AP.resize === "function") {
      AP.resize("100%", `${Math.ceil(root.getBoundingClientRect().height) + 16}px`);
    }
  }

  function connectHost() {
    async function call(url, options, retried) {
      const response = await fetch(url, {
        method: options.method || "GET",
        headers: {
          Accept: "application/json",
          Authorization: `JWT ${token}`,
          ...(options.body !== undefined ? { "Content-Type": "application/json" } : {}),
        },
        body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
        credentials: "omit",
      });
      if (response.status === 401 && !retried) {
        await freshToken();
        return call(url, options, true);
      }
      const body = await response.json().catch(() => null);
      if (!response.ok) {
        throw { status: response.status, body };
      }
      return body;
    }
    const item = `dashboardId=${encodeURIComponent(data.dashboardId)}&itemId=${encodeURIComponent(data.itemId)}`;
    return {
      kind: "connect",
      canUseSaved: Boolean(data.apiSaved),
      fetchJSON: (url) => call(url, {}),
      async load() {
        const answer = await call(`${data.apiGadget}?${item}`, {});
        return { config: answer.config, query: answer.query };
      },
      async save(config) {
        const answer = await call(`${data.apiGadget}?${item}`, { method: "PUT", body: config });
        return { config: answer.config, query: answer.query };
      },
      savedReports() {
        return call(data.apiSaved, {});
      },
      onEdit(listener) {
        waitForAp().then((AP) => {
          const jira = AP && AP.jira;
          if (jira && jira.DashboardItem && typeof jira.DashboardItem.onDashboardItemEdit === "function") {
            jira.DashboardItem.onDashboardItemEdit(listener);
          }
        });
      },
      editing: () => data.viewType === "edit",
      openPage(query) {
        const AP = ap();
        if (!AP || !AP.navigator || typeof AP.navigator.go !== "function") {
          return false;
        }
        AP.navigator.go("addonmodule", { addonKey: data.appKey, moduleKey: data.pageKey, customData: query });
        return true;
      },
      pageUrl(query) {
        const params = new URLSearchParams();
        Object.keys(query).forEach((name) => params.set(`ac.${name}`, query[name]));
        return `${data.siteUrl}/plugins/servlet/ac/${encodeURIComponent(data.appKey)}/${encodeURIComponent(data.pageKey)}?${params}`;
      },
    };
  }

  function forgeHost(transport, bridge) {
    let context = {};
    const ready = bridge.view.getContext().then((value) => {
      context = value || {};
    });
    const extension = () => (context.extension && typeof context.extension === "object" ? context.extension : {});
    // A saved report's parameters, asked of the app as the viewer (null: it no longer exists).
    async function savedQuery(config) {
      const params = new URLSearchParams({ id: config.id, shared: config.shared ? "true" : "false" });
      const answer = await transport.fetchJSON(`${data.apiGadgetSaved}?${params}`, null);
      return { config: answer.config, query: answer.query };
    }
    return {
      kind: "forge",
      canUseSaved: Boolean(data.apiSaved && data.apiGadgetSaved),
      ready,
      fetchJSON: (url) => transport.fetchJSON(url, null),
      async load() {
        await ready;
        const config = extension().gadgetConfiguration;
        const source = config && typeof config === "object" ? config.source : null;
        if (source === "grid") {
          return { config, query: gridQuery(config) };
        }
        if (source === "saved" && typeof config.id === "string") {
          return savedQuery(config);
        }
        return { config: null, query: null };
      },
      async save(config) {
        // As the Connect gadget's PUT: a saved report that is gone is refused before it is kept.
        const shown = config.source === "saved" ? await savedQuery(config) : { config, query: gridQuery(config) };
        if (!shown.query) {
          throw { status: 400, body: { error: "id: no saved report has this id" } };
        }
        await bridge.view.submit(shown.config);
        return shown;
      },
      savedReports: () => transport.fetchJSON(data.apiSaved, null),
      onEdit() {},
      editing: () => extension().entryPoint === "edit",
      openPage() {
        if (!bridge.router || typeof bridge.router.navigate !== "function") {
          return false;
        }
        bridge.router.navigate({ target: "module", moduleKey: "timesheet-global-page" }).catch(() => {});
        return true;
      },
      pageUrl: () => "#",
    };
  }

  function chooseHost() {
    const transport = window.SmartTimesheetTransport && window.SmartTimesheetTransport.forge();
    if (transport && typeof window.smartTimesheetForgeBridge === "function") {
      return forgeHost(transport, window.smartTimesheetForgeBridge());
    }
    return connectHost();
  }

  // The report parameters of a grid configuration, as gadget.py's GadgetConfig.grid_query.
  function gridQuery(config) {
    const query = { preset: [config.preset], group: [config.group], columns: [config.columns] };
    if (config.project && config.project.length) {
      query.project = [config.project.join(",")];
    }
    return query;
  }

  // --- the edit view -----------------------------------------------------------------------

  function fieldError(id, text) {
    const element = $(id);
    element.textContent = text || "";
    element.hidden = !text;
  }

  function showSource(source) {
    $("tg-grid-fields").hidden = source !== "grid";
    $("tg-saved-fields").hidden = source !== "saved";
    resize();
  }

  async function fillSaved(host, chosen) {
    const select = $("tg-saved");
    select.replaceChildren();
    const savedChoice = $("tg-source-saved");
    if (!host.canUseSaved) {
      savedChoice.closest("label").hidden = true;
      return;
    }
    try {
      const lists = await host.savedReports();
      const groups = [
        ["My reports", lists.personal || [], false],
        ["Shared with the site", lists.shared || [], true],
      ];
      for (const [label, reports, shared] of groups) {
        if (!reports.length) {
          continue;
        }
        const group = document.createElement("optgroup");
        group.label = label;
        for (const report of reports) {
          const option = new Option(report.name, report.id);
          option.dataset.shared = shared ? "true" : "false";
          option.selected = chosen && chosen.id === report.id;
          group.append(option);
        }
        select.append(group);
      }
      savedChoice.disabled = !select.options.length;
      fieldError("tg-saved-error", select.options.length ? "" : "No saved reports yet: save one on the Timesheet page.");
    } catch (error) {
      savedChoice.disabled = true;
      fieldError("tg-saved-error", "Your saved reports could not be loaded.");
    }
  }

  function showEdit(host, config, cancellable) {
    const shown = config || defaults;
    form.elements.source.value = shown.source === "saved" && host.canUseSaved ? "saved" : "grid";
    for (const name of ["preset", "group", "columns"]) {
      form.elements[name].value = shown[name] || defaults[name];
    }
    $("tg-project").value = (shown.project || []).join(", ");
    fieldError("tg-project-error", "");
    $("tg-edit-error").hidden = true;
    $("tg-cancel").hidden = !cancellable;
    showSource(form.elements.source.value);
    view.hidden = true;
    form.hidden = false;
    fillSaved(host, shown.source === "saved" ? shown : null).then(resize);
    resize();
  }

  function formConfig() {
    if (form.elements.source.value === "saved") {
      const option = $("tg-saved").selectedOptions[0];
      if (!option) {
        fieldError("tg-saved-error", "Choose a saved report.");
        return null;
      }
      return { source: "saved", id: option.value, shared: option.dataset.shared === "true" };
    }
    const keys = $("tg-project")
      .value.split(/[\s,]+/)
      .map((key) => key.trim().toUpperCase())
      .filter(Boolean);
    if (keys.some((key) => !/^[A-Z][A-Z0-9_]*$/.test(key))) {
      fieldError("tg-project-error", "Project keys are letters, digits and _, such as ALPHA.");
      return null;
    }
    fieldError("tg-project-error", "");
    return {
      source: "grid",
      preset: form.elements.preset.value,
      group: form.elements.group.value,
      columns: form.elements.columns.value,
      project: keys,
    };
  }

  // --- the view ----------------------------------------------------------------------------

  function message(text, isError) {
    const element = $("tg-message");
    element.textContent = text || "";
    element.hidden = !text;
    element.classList.toggle("tg-message--error", Boolean(isError));
  }

  function cell(tag, text, className) {
    const element = document.createElement(tag);
    element.textContent = text;
    if (className) {
      element.className = className;
    }
    return element;
  }

  function describe(config, report) {
    const parts = [];
    if (config.source === "grid") {
      parts.push(PRESET_LABELS[config.preset] || config.preset);
      if (config.project && config.project.length) {
        parts.push(config.project.join(", "));
      }
    }
    parts.push(`${report.from} – ${report.to}`);
    parts.push(`${format.decimalHours(report.total)} h`);
    return parts.join(" · ");
  }

  function renderGrid(config, query, report) {
    const group = (query.group && query.group[0]) || "user";
    const first = group.split(",")[0];
    $("tg-head").replaceChildren(
      cell("th", first === "project" ? "Project" : first === "user" ? "User" : "Row"),
      ...report.columns.map((column) => cell("th", column.label)),
      cell("th", "Total", "tg-total"),
    );
    for (const th of $("tg-head").children) {
      th.scope = "col";
    }
    const rows = report.rows.map((row) => {
      const tr = document.createElement("tr");
      if (row.subtotal) {
        tr.className = "tg-subtotal";
      }
      const label = cell("th", row.labels.join(" / "));
      label.scope = "row";
      tr.append(
        label,
        ...report.columns.map((column) =>
          cell("td", row.cells[column.key] ? format.decimalHours(row.cells[column.key]) : ""),
        ),
        cell("td", format.decimalHours(row.total), "tg-total"),
      );
      return tr;
    });
    $("tg-body").replaceChildren(...rows);
    const totalLabel = cell("th", "Total");
    totalLabel.scope = "row";
    $("tg-foot").replaceChildren(
      totalLabel,
      ...report.columns.map((column) => cell("td", format.decimalHours(report.totals[column.key] || 0))),
      cell("td", format.decimalHours(report.total), "tg-total tg-grand-total"),
    );
    $("tg-table").hidden = !report.rows.length;
    $("tg-summary").textContent = describe(config, report);
    message(report.rows.length ? "" : "No work logged in this period.", false);
  }

  function pageQuery(query) {
    const flat = {};
    Object.keys(query).forEach((name) => {
      flat[name] = [].concat(query[name]).join(",");
    });
    return flat;
  }

  async function showView(host, shown) {
    current = shown;
    form.hidden = true;
    view.hidden = false;
    $("tg-table").hidden = true;
    $("tg-summary").textContent = "";
    if (!shown.query) {
      message("The saved report this gadget shows no longer exists for you. Configure the gadget again.", true);
      $("tg-open").hidden = true;
      resize();
      return;
    }
    const link = $("tg-open");
    const flat = pageQuery(shown.query);
    link.hidden = false;
    link.href = host.pageUrl(flat);
    link.onclick = (event) => {
      if (host.openPage(flat)) {
        event.preventDefault();
      }
    };
    message("Loading…", false);
    resize();
    const params = new URLSearchParams();
    Object.keys(shown.query).forEach((name) => {
      [].concat(shown.query[name]).forEach((value) => params.append(name, value));
    });
    try {
      const report = await host.fetchJSON(`${data.apiReport}?${params}`);
      if (current === shown) {
        renderGrid(shown.config, shown.query, report);
      }
    } catch (error) {
      const text = error && error.body && error.body.error ? error.body.error : "The report could not be loaded.";
      message(text, true);
    }
    resize();
  }

  // --- start -------------------------------------------------------------------------------

  function start() {
    const host = chooseHost();
    form.addEventListener("change", (event) => {
      if (event.target.name === "source") {
        showSource(event.target.value);
      }
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const config = formConfig();
      if (!config) {
        resize();
        return;
      }
      $("tg-save").disabled = true;
      try {
        const saved = await host.save(config);
        if (host.kind === "connect") {
          await showView(host, saved);
        }
      } catch (error) {
        const element = $("tg-edit-error");
        element.textContent = error && error.body && error.body.error ? error.body.error : "The gadget could not be saved.";
        element.hidden = false;
      } finally {
        $("tg-save").disabled = false;
        resize();
      }
    });
    $("tg-cancel").addEventListener("click", () => {
      if (current) {
        showView(host, current);
      }
    });
    host.onEdit(() => showEdit(host, current && current.config, Boolean(current)));
    if (host.kind === "connect" && data.viewType === "directory") {
      view.hidden = false;
      $("tg-open").hidden = true;
      message("Hours logged per person or project, or a saved Timesheet report.", false);
      resize();
      return;
    }
    host
      .load()
      .then((loaded) => {
        if (host.editing() || !loaded.config) {
          current = loaded.config ? loaded : null;
          showEdit(host, loaded.config, Boolean(loaded.config) && host.kind === "connect");
        } else {
          showView(host, loaded);
        }
      })
      .catch((error) => {
        view.hidden = false;
        $("tg-open").hidden = true;
        message(error && error.body && error.body.error ? error.body.error : "The gadget could not be loaded.", true);
        resize();
      });
  }

  start();
})();
