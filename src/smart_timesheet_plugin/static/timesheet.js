/*
 * Smart Timesheet: the report page shown inside Jira.
 *
 * Reads the report settings from the form, asks the Timesheet API for the grid with the page's
 * context token (refreshed through AP.context.getToken before it expires), and draws the grid:
 * sortable rows, subtotal groups, sticky headers and totals, worklogs behind any number in a
 * dialog, hours as decimals or h:mm. The page works inside Jira's iframe and opened directly;
 * when the host does not answer, it keeps using the token the server rendered into the page.
 */
(function () {
  "use strict";

  const root = document.getElementById("timesheet");
  if (!root) {
    return;
  }

  const HOURS_FORMAT_KEY = "smart-timesheet:hours-format";
  const TOKEN_REFRESH_TIMEOUT_MS = 5000;
  const AUTO_RETRY_LIMIT_SECONDS = 60;
  const DIMENSION_LABELS = {
    user: "User",
    project: "Project",
    issue: "Issue",
    parent: "Epic / parent",
    issuetype: "Issue type",
  };
  const FIELD_LABELS = {
    from: "From",
    to: "To",
    preset: "Period",
    columns: "Columns",
    week_start: "Week starts on",
    group: "Group by",
    project: "Projects",
    user: "Users",
    jql: "More JQL",
    tz: "Days counted in",
    sort: "Sort",
    row: "Row",
    column: "Column",
  };
  // Form controls that show a parameter's error; the first is focused.
  const FIELD_CONTROLS = {
    from: ["ts-from"],
    to: ["ts-to"],
    preset: [],
    columns: ["ts-columns"],
    week_start: ["ts-week-start"],
    group: ["ts-group1", "ts-group2"],
    project: ["ts-project"],
    user: ["ts-user"],
    jql: ["ts-jql"],
    tz: ["ts-tz"],
  };
  const FIELD_ERROR_IDS = {
    from: "ts-from-error",
    to: "ts-to-error",
    preset: "ts-preset-error",
    columns: "ts-columns-error",
    week_start: "ts-week_start-error",
    group: "ts-group-error",
    project: "ts-project-error",
    user: "ts-user-error",
    jql: "ts-jql-error",
    tz: "ts-tz-error",
  };

  const $ = (id) => document.getElementById(id);

  const config = {
    token: root.dataset.token || "",
    tokenLifetime: Number(root.dataset.tokenLifetime) || 300,
    initial: parseJSON(root.dataset.initial) || {},
    projectPage: root.dataset.projectPage === "true",
    api: {
      report: root.dataset.apiReport,
      worklogs: root.dataset.apiWorklogs,
      csv: root.dataset.apiCsv,
      xlsx: root.dataset.apiXlsx,
    },
  };

  const form = $("ts-form");
  const fields = {
    from: $("ts-from"),
    to: $("ts-to"),
    columns: $("ts-columns"),
    weekStart: $("ts-week-start"),
    group1: $("ts-group1"),
    group2: $("ts-group2"),
    tz: $("ts-tz"),
    project: $("ts-project"),
    user: $("ts-user"),
    jql: $("ts-jql"),
  };
  const presetButtons = Array.from(document.querySelectorAll("[data-preset]"));
  const reportSection = $("ts-report");
  const grid = $("ts-grid");
  const table = $("ts-table");
  const links = { csv: $("ts-csv"), xlsx: $("ts-xlsx") };

  const state = {
    preset: null,
    hoursFormat: readHoursFormat(),
    sort: { key: "label", dir: "asc" },
    report: null,
    loadedParams: null,
    serverSort: "label",
    request: null,
    retryTimer: null,
    retryTicker: null,
  };

  // ---- Small helpers ---------------------------------------------------------------------------

  function parseJSON(text) {
    try {
      return text ? JSON.parse(text) : null;
    } catch (error) {
      return null;
    }
  }

  function firstValue(value) {
    return Array.isArray(value) ? value[0] : value;
  }

  function listValue(value) {
    if (value === undefined || value === null) {
      return [];
    }
    return (Array.isArray(value) ? value : [value]).flatMap((item) => splitList(String(item)));
  }

  function splitList(text) {
    return text
      .split(/[\s,;]+/)
      .map((item) => item.trim())
      .filter(Boolean);
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }

  function getAP() {
    return typeof window.AP === "object" && window.AP ? window.AP : null;
  }

  const inFrame = (() => {
    try {
      return window.self !== window.top;
    } catch (error) {
      return true;
    }
  })();

  // ---- Dates -----------------------------------------------------------------------------------

  const WEEKDAY_NUMBER = { monday: 1, sunday: 0, saturday: 6 };
  const longDate = new Intl.DateTimeFormat("en-GB", {
    day: "numeric",
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  });
  const shortDate = new Intl.DateTimeFormat("en-GB", {
    day: "numeric",
    month: "short",
    timeZone: "UTC",
  });

  function parseDay(text) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text || "");
    if (!match) {
      return null;
    }
    return new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  }

  function isoDay(date) {
    return date.toISOString().slice(0, 10);
  }

  function addDays(date, days) {
    return new Date(date.getTime() + days * 86400000);
  }

  function localToday() {
    const now = new Date();
    return new Date(Date.UTC(now.getFullYear(), now.getMonth(), now.getDate()));
  }

  function presetRange(preset, today, weekStart) {
    if (preset === "this-week" || preset === "last-week") {
      const offset = (today.getUTCDay() - WEEKDAY_NUMBER[weekStart] + 7) % 7;
      let first = addDays(today, -offset);
      if (preset === "last-week") {
        first = addDays(first, -7);
      }
      return [isoDay(first), isoDay(addDays(first, 6))];
    }
    let first = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1));
    if (preset === "last-month") {
      first = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - 1, 1));
    }
    const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0));
    return [isoDay(first), isoDay(last)];
  }

  function matchingPreset(from, to, weekStart) {
    const today = localToday();
    for (const button of presetButtons) {
      const range = presetRange(button.dataset.preset, today, weekStart);
      if (range[0] === from && range[1] === to) {
        return button.dataset.preset;
      }
    }
    return null;
  }

  function rangeText(from, to) {
    const first = parseDay(from);
    const last = parseDay(to);
    if (!first || !last) {
      return `${from} – ${to}`;
    }
    if (from === to) {
      return longDate.format(first);
    }
    const firstText =
      first.getUTCFullYear() === last.getUTCFullYear()
        ? shortDate.format(first)
        : longDate.format(first);
    return `${firstText} – ${longDate.format(last)}`;
  }

  // ---- Hours -----------------------------------------------------------------------------------

  function decimalHours(seconds) {
    // Hundredths of an hour, halves rounded up, as the exports write them.
    const hundredths = Math.round(seconds / 36);
    const whole = Math.floor(hundredths / 100);
    return `${whole}.${String(hundredths % 100).padStart(2, "0")}`;
  }

  function clockHours(seconds) {
    const minutes = Math.round(seconds / 60);
    return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, "0")}`;
  }

  function formatHours(seconds) {
    return state.hoursFormat === "hm" ? clockHours(seconds) : decimalHours(seconds);
  }

  function readHoursFormat() {
    try {
      return window.localStorage.getItem(HOURS_FORMAT_KEY) === "hm" ? "hm" : "decimal";
    } catch (error) {
      return "decimal";
    }
  }

  function storeHoursFormat(format) {
    try {
      window.localStorage.setItem(HOURS_FORMAT_KEY, format);
    } catch (error) {
      // Storage can be unavailable in a third-party frame; the choice then lasts for this visit.
    }
  }

  // ---- The context token -----------------------------------------------------------------------

  const auth = {
    token: "",
    expiresAt: 0,
    lifetimeMs: 0,
    timer: null,
    pending: null,
    hostSilent: false,

    accept(token) {
      const claims = parseJSON(decodeBase64Url((token.split(".")[1] || "").trim()));
      let lifetime = config.tokenLifetime;
      if (claims && typeof claims.exp === "number" && typeof claims.iat === "number") {
        lifetime = Math.max(10, claims.exp - claims.iat);
      }
      this.token = token;
      this.lifetimeMs = lifetime * 1000;
      this.expiresAt = Date.now() + this.lifetimeMs;
      this.schedule(Math.max(10000, this.lifetimeMs * 0.8));
      updateExportLinks();
    },

    schedule(delay) {
      window.clearTimeout(this.timer);
      this.timer = window.setTimeout(() => {
        this.refresh().then((fresh) => {
          if (!fresh && Date.now() < this.expiresAt) {
            this.schedule(Math.min(30000, Math.max(5000, this.expiresAt - Date.now())));
          }
        });
      }, delay);
    },

    expiresSoon(marginMs) {
      return Date.now() > this.expiresAt - marginMs;
    },

    // A fresh token from the host page; resolves true when one arrived.
    refresh() {
      const ap = getAP();
      if (!ap || !ap.context || typeof ap.context.getToken !== "function") {
        return Promise.resolve(false);
      }
      if (this.pending) {
        return this.pending;
      }
      this.pending = new Promise((resolve) => {
        let settled = false;
        const finish = (token) => {
          if (settled) {
            return;
          }
          settled = true;
          window.clearTimeout(timeout);
          if (typeof token === "string" && token.split(".").length === 3) {
            this.hostSilent = false;
            this.accept(token);
            resolve(true);
          } else {
            resolve(false);
          }
        };
        const timeout = window.setTimeout(() => {
          this.hostSilent = true;
          finish(null);
        }, TOKEN_REFRESH_TIMEOUT_MS);
        try {
          ap.context.getToken(finish);
        } catch (error) {
          finish(null);
        }
      }).finally(() => {
        this.pending = null;
      });
      return this.pending;
    },

    // Before a request: renew a token that is about to expire, unless the host never answers.
    ensureFresh() {
      if (!this.expiresSoon(30000) || (this.hostSilent && !this.pending)) {
        return Promise.resolve();
      }
      return this.refresh().then(() => undefined);
    },
  };

  function decodeBase64Url(text) {
    try {
      const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
      return window.atob(base64 + "===".slice((base64.length + 3) % 4));
    } catch (error) {
      return "";
    }
  }

  class ApiError extends Error {
    constructor(status, body, retryAfter) {
      const detail = body && typeof body.error === "string" ? body.error : "";
      super(detail || `HTTP ${status}`);
      this.detail = detail;
      this.status = status;
      this.parameter = body && typeof body.parameter === "string" ? body.parameter : null;
      this.retryAfter = retryAfter;
    }
  }

  async function fetchJSON(url, signal) {
    await auth.ensureFresh();
    const send = () =>
      window.fetch(url, {
        headers: { Authorization: `JWT ${auth.token}`, Accept: "application/json" },
        credentials: "omit",
        cache: "no-store",
        signal,
      });
    let response = await send();
    if (response.status === 401 && (await auth.refresh())) {
      response = await send();
    }
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const header = Number(response.headers.get("Retry-After"));
      throw new ApiError(response.status, body, Number.isFinite(header) ? header : null);
    }
    return body;
  }

  // ---- The form --------------------------------------------------------------------------------

  function fillForm(initial) {
    fields.from.value = firstValue(initial.from) || "";
    fields.to.value = firstValue(initial.to) || "";
    selectValue(fields.columns, firstValue(initial.columns) || "day");
    selectValue(fields.weekStart, firstValue(initial.week_start) || "monday");
    const group = splitList(firstValue(initial.group) || "user");
    selectValue(fields.group1, group[0] || "user");
    selectValue(fields.group2, group[1] || "");
    syncGroupChoices();
    fields.user.value = listValue(initial.user).join(", ");
    fields.jql.value = firstValue(initial.jql) || "";
    if (!fields.project.readOnly || !fields.project.value) {
      fields.project.value = listValue(initial.project).join(", ");
    }
    addZoneOption(browserZone(), " (this computer)");
    // The server never presets a zone from Jira's own "tz" iframe parameter (see views.py).
    const tz = firstValue(initial.tz) || "viewer";
    addZoneOption(tz, "");
    selectValue(fields.tz, tz);
    if (firstValue(initial.sort) === "total") {
      state.sort = { key: "total", dir: "desc" };
    }
    markPreset(matchingPreset(fields.from.value, fields.to.value, fields.weekStart.value));
  }

  function selectValue(select, value) {
    if (Array.from(select.options).some((option) => option.value === value)) {
      select.value = value;
    }
  }

  function browserZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      return "";
    }
  }

  function addZoneOption(zone, note) {
    if (!zone || zone === "viewer" || zone === "author") {
      return;
    }
    if (Array.from(fields.tz.options).some((option) => option.value === zone)) {
      return;
    }
    const option = element("option", null, zone + note);
    option.value = zone;
    $("ts-tz-zones").prepend(option);
  }

  function syncGroupChoices() {
    const first = fields.group1.value;
    for (const option of fields.group2.options) {
      option.disabled = option.value !== "" && option.value === first;
    }
    if (fields.group2.value === first) {
      fields.group2.value = "";
    }
  }

  function markPreset(preset) {
    for (const button of presetButtons) {
      button.setAttribute("aria-pressed", String(button.dataset.preset === preset));
    }
  }

  // The query the form describes (without the token).
  function formParams() {
    const params = new URLSearchParams();
    if (state.preset) {
      params.set("preset", state.preset);
    } else {
      if (fields.from.value) {
        params.set("from", fields.from.value);
      }
      if (fields.to.value) {
        params.set("to", fields.to.value);
      }
    }
    if (fields.columns.value !== "day") {
      params.set("columns", fields.columns.value);
    }
    if (fields.weekStart.value !== "monday") {
      params.set("week_start", fields.weekStart.value);
    }
    const group = [fields.group1.value];
    if (fields.group2.value && fields.group2.value !== fields.group1.value) {
      group.push(fields.group2.value);
    }
    if (group.join(",") !== "user") {
      params.set("group", group.join(","));
    }
    const projects = splitList(fields.project.value).map((key) => key.toUpperCase());
    if (projects.length) {
      params.set("project", projects.join(","));
    }
    const users = splitList(fields.user.value);
    if (users.length) {
      params.set("user", users.join(","));
    }
    const jql = fields.jql.value.trim();
    if (jql) {
      params.set("jql", jql);
    }
    if (fields.tz.value !== "viewer") {
      params.set("tz", fields.tz.value);
    }
    if (state.sort.key === "total" && state.sort.dir === "desc") {
      params.set("sort", "total");
    }
    return params;
  }

  function clearFieldErrors() {
    for (const name of Object.keys(FIELD_ERROR_IDS)) {
      clearFieldError(name);
    }
  }

  function clearFieldError(name) {
    const message = $(FIELD_ERROR_IDS[name]);
    if (message) {
      message.hidden = true;
      message.textContent = "";
    }
    for (const id of FIELD_CONTROLS[name] || []) {
      $(id).removeAttribute("aria-invalid");
    }
  }

  function showFieldError(name, text) {
    const message = $(FIELD_ERROR_IDS[name]);
    if (!message) {
      return false;
    }
    message.textContent = text;
    message.hidden = false;
    const controls = (FIELD_CONTROLS[name] || []).map($);
    for (const control of controls) {
      control.setAttribute("aria-invalid", "true");
    }
    const target = controls.find((control) => !control.readOnly && !control.disabled);
    if (target) {
      target.focus();
    }
    return true;
  }

  // ---- Loading the report ----------------------------------------------------------------------

  function cancelPending() {
    if (state.request) {
      state.request.abort();
      state.request = null;
    }
    window.clearTimeout(state.retryTimer);
    window.clearInterval(state.retryTicker);
    state.retryTimer = null;
    state.retryTicker = null;
  }

  function apply() {
    clearFieldErrors();
    loadReport(formParams(), { autoRetry: true });
  }

  async function loadReport(params, options) {
    cancelPending();
    const controller = new AbortController();
    state.request = controller;
    hideMessage();
    setBusy(true);
    let report;
    try {
      report = await fetchJSON(`${config.api.report}?${params.toString()}`, controller.signal);
      if (!report || !Array.isArray(report.rows) || !Array.isArray(report.columns)) {
        throw new ApiError(500, { error: "The Timesheet service sent an unreadable report." });
      }
    } catch (error) {
      if (state.request === controller) {
        state.request = null;
        setBusy(false);
        if (!controller.signal.aborted) {
          showLoadError(error, params, options);
        }
      }
      return;
    }
    if (state.request !== controller) {
      return;
    }
    state.request = null;
    setBusy(false);
    showReport(report, params);
  }

  function setBusy(busy) {
    reportSection.setAttribute("aria-busy", String(busy));
    $("ts-loading").hidden = !busy;
  }

  function showReport(report, params) {
    // The parameters of the report on screen, its dates explicit: exports and cell details ask
    // for exactly these.
    const loaded = new URLSearchParams({ from: report.from, to: report.to });
    for (const [name, value] of params) {
      if (!["preset", "sort", "from", "to"].includes(name)) {
        loaded.append(name, value);
      }
    }
    state.report = report;
    state.loadedParams = loaded;
    state.group = splitList(params.get("group") || "user");
    state.columnUnit = params.get("columns") || "day";
    state.serverSort = params.get("sort") === "total" ? "total" : "label";
    fields.from.value = report.from;
    fields.to.value = report.to;
    markPreset(state.preset || matchingPreset(report.from, report.to, fields.weekStart.value));
    renderReport();
    updateExportLinks();
    const leafRows = report.rows.filter((row) => !row.subtotal).length;
    announce(
      report.rows.length
        ? `Report loaded: ${leafRows} ${leafRows === 1 ? "row" : "rows"}, ` +
            `total ${decimalHours(report.total)} hours.`
        : "Report loaded: no work logged in this period.",
    );
    resizeFrame();
  }

  function showLoadError(error, params, options) {
    if (!(error instanceof ApiError)) {
      showMessage("error", "Can't reach the Timesheet service", "Check your connection and try again.", {
        label: "Try again",
        run: () => loadReport(params, { autoRetry: false }),
      });
      return;
    }
    const retry = {
      label: "Try again",
      run: () => loadReport(params, { autoRetry: false }),
    };
    switch (error.status) {
      case 400: {
        const name = error.parameter;
        const detail = stripParameter(error.message, name);
        const label = (name && FIELD_LABELS[name]) || "Report settings";
        if (name) {
          showFieldError(name, detail);
        }
        showMessage("error", "Check the report settings", `${label}: ${detail}`);
        break;
      }
      case 401:
        showMessage(
          "error",
          "Your session has expired",
          "Reload the page to continue where you left off.",
          { label: "Reload", run: reloadPage },
        );
        break;
      case 403:
        showMessage(
          "error",
          "You don't have permission to see this report",
          error.detail || "Jira did not allow this report for your account.",
        );
        break;
      case 429: {
        const wait = Math.max(1, Math.ceil(error.retryAfter || 5));
        const reason = error.detail || "Jira is rate limiting this site.";
        if (options.autoRetry && wait <= AUTO_RETRY_LIMIT_SECONDS) {
          scheduleRetry(params, wait, reason);
        } else {
          showMessage("warning", "Jira is busy", `${reason} You can try again in ${wait} s.`, retry);
        }
        break;
      }
      case 502:
        showMessage(
          "error",
          "Jira answered unexpectedly",
          error.detail || "Jira sent an answer the Timesheet could not use; try again.",
          retry,
        );
        break;
      case 503:
        showMessage(
          "error",
          "Jira is unavailable",
          error.detail || "Jira is unavailable right now; try again shortly.",
          retry,
        );
        break;
      case 504:
        showMessage(
          "error",
          "Jira is taking too long",
          error.detail || "Jira took too long to answer; try a shorter period.",
          retry,
        );
        break;
      default:
        showMessage(
          "error",
          "The report could not be loaded",
          error.detail || `The Timesheet service answered HTTP ${error.status}.`,
          retry,
        );
    }
  }

  function stripParameter(message, name) {
    const prefix = name ? `${name}: ` : "";
    return prefix && message.startsWith(prefix) ? message.slice(prefix.length) : message;
  }

  function scheduleRetry(params, seconds, reason) {
    let remaining = seconds;
    const text = () => `${reason} Retrying in ${remaining} s…`;
    showMessage("warning", "Jira is busy", text(), {
      label: "Retry now",
      run: () => loadReport(params, { autoRetry: false }),
    });
    state.retryTicker = window.setInterval(() => {
      remaining = Math.max(0, remaining - 1);
      $("ts-message-text").textContent = text();
    }, 1000);
    state.retryTimer = window.setTimeout(() => {
      loadReport(params, { autoRetry: false });
    }, seconds * 1000);
  }

  function reloadPage() {
    const ap = getAP();
    if (inFrame && ap && ap.navigator && typeof ap.navigator.reload === "function") {
      ap.navigator.reload();
    } else {
      window.location.reload();
    }
  }

  function showMessage(kind, title, text, action) {
    const box = $("ts-message");
    box.className = `ts-message ts-message--${kind}`;
    $("ts-message-title").textContent = title;
    $("ts-message-text").textContent = text;
    const button = $("ts-message-action");
    button.hidden = !action;
    button.textContent = action ? action.label : "";
    button.onclick = action
      ? () => {
          action.run();
        }
      : null;
    box.hidden = false;
    resizeFrame();
  }

  function hideMessage() {
    $("ts-message").hidden = true;
  }

  function announce(text) {
    const region = $("ts-announcer");
    region.textContent = "";
    window.setTimeout(() => {
      region.textContent = text;
    }, 50);
  }

  // ---- Exports ---------------------------------------------------------------------------------

  function exportParams() {
    const params = new URLSearchParams(state.loadedParams);
    if (state.sort.key === "total" && state.sort.dir === "desc") {
      params.set("sort", "total");
    }
    params.set("jwt", auth.token);
    return params;
  }

  function updateExportLinks() {
    for (const [kind, link] of Object.entries(links)) {
      if (state.loadedParams && state.report) {
        link.href = `${config.api[kind]}?${exportParams().toString()}`;
        link.removeAttribute("aria-disabled");
      } else {
        link.removeAttribute("href");
        link.setAttribute("aria-disabled", "true");
      }
    }
  }

  function onExportClick(event) {
    const link = event.currentTarget;
    if (link.getAttribute("aria-disabled") === "true") {
      event.preventDefault();
      return;
    }
    if (!auth.expiresSoon(5000)) {
      return;
    }
    // The link carries an old token: renew it first, then follow the renewed link.
    event.preventDefault();
    auth.refresh().then((fresh) => {
      if (fresh) {
        link.click();
      } else {
        showMessage(
          "error",
          "Your session has expired",
          "Reload the page to download the report.",
          { label: "Reload", run: reloadPage },
        );
      }
    });
  }

  // ---- The grid --------------------------------------------------------------------------------

  const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });

  function rowLabel(row) {
    return row.labels[row.labels.length - 1] || "";
  }

  function sortValue(row, key) {
    if (key === "total") {
      return row.total;
    }
    return row.cells[key] || 0;
  }

  function compareRows(sort) {
    const direction = sort.dir === "asc" ? 1 : -1;
    return (a, b) => {
      if (sort.key === "label") {
        return direction * collator.compare(rowLabel(a), rowLabel(b));
      }
      const difference = sortValue(a, sort.key) - sortValue(b, sort.key);
      return direction * difference || collator.compare(rowLabel(a), rowLabel(b));
    };
  }

  // Rows in display order: subtotal groups stay together, their children sorted within.
  function displayRows(report) {
    const serverOrder =
      (state.serverSort === "label" && state.sort.key === "label" && state.sort.dir === "asc") ||
      (state.serverSort === "total" && state.sort.key === "total" && state.sort.dir === "desc");
    const indexed = report.rows.map((row, index) => ({ row, index }));
    if (serverOrder) {
      return indexed;
    }
    const compare = compareRows(state.sort);
    const byRow = (a, b) => compare(a.row, b.row);
    if (!report.rows.some((row) => row.subtotal)) {
      return indexed.sort(byRow);
    }
    const blocks = [];
    for (const item of indexed) {
      if (item.row.subtotal || !blocks.length) {
        blocks.push({ head: item, children: [] });
      } else {
        blocks[blocks.length - 1].children.push(item);
      }
    }
    blocks.sort((a, b) => byRow(a.head, b.head));
    return blocks.flatMap((block) => [block.head, ...block.children.sort(byRow)]);
  }

  function renderReport() {
    const report = state.report;
    renderSummary(report);
    const empty = report.rows.length === 0;
    $("ts-empty").hidden = !empty;
    grid.hidden = empty;
    if (!empty) {
      renderTable(report);
    }
  }

  function renderSummary(report) {
    $("ts-summary-title").textContent = rangeText(report.from, report.to);
    const meta = $("ts-summary-meta");
    meta.textContent = "";
    const zone =
      report.timezone === "author" ? "days in each author's time zone" : `days in ${report.timezone}`;
    const grouping = state.group.map((name) => DIMENSION_LABELS[name] || name).join(" › ");
    meta.append(`By ${grouping.toLowerCase()} · ${zone} · Total `);
    const unit = state.hoursFormat === "hm" ? "" : " h";
    const total = element("span", "ts-summary__total", formatHours(report.total) + unit);
    total.id = "ts-summary-total";
    meta.append(total);
    $("ts-caption").textContent =
      `Hours logged ${rangeText(report.from, report.to)}, by ${grouping.toLowerCase()}, ` +
      `${zone}. Select a number to list its worklogs.`;
  }

  function columnDescription(column) {
    const day = state.columnUnit === "day" ? parseDay(column.key) : null;
    const weekend = day ? day.getUTCDay() === 0 || day.getUTCDay() === 6 : false;
    const today = day ? column.key === isoDay(localToday()) : false;
    let upper = "";
    let lower = column.label;
    const space = column.label.indexOf(" ");
    if (space > 0 && (day || /^W\d+ /.test(column.label))) {
      upper = column.label.slice(0, space);
      lower = column.label.slice(space + 1);
    }
    return { weekend, today, upper, lower };
  }

  function sortButton(key, upper, lower, title) {
    const button = element("button", "ts-sort");
    button.type = "button";
    button.dataset.sort = key;
    button.title = `Sort by ${title}`;
    if (upper) {
      button.append(element("span", "ts-sort__weekday", upper));
    }
    const text = element("span", "ts-sort__text");
    const arrow = element("span", "ts-sort__arrow");
    arrow.setAttribute("aria-hidden", "true");
    if (state.sort.key === key) {
      arrow.textContent = state.sort.dir === "asc" ? "▲" : "▼";
    }
    if (key === "label") {
      text.append(element("span", "ts-sort__date", lower), arrow);
    } else {
      text.append(arrow, element("span", "ts-sort__date", lower));
    }
    button.append(text);
    return button;
  }

  function headerCell(key, className, upper, lower, title) {
    const th = element("th", className);
    th.scope = "col";
    if (state.sort.key === key) {
      th.setAttribute("aria-sort", state.sort.dir === "asc" ? "ascending" : "descending");
    }
    th.append(sortButton(key, upper, lower, title));
    return th;
  }

  function renderTable(report) {
    const descriptions = report.columns.map(columnDescription);
    const grouping = state.group.map((name) => DIMENSION_LABELS[name] || name).join(" / ");

    const headRow = element("tr");
    headRow.append(headerCell("label", "ts-label-cell", "", grouping, grouping));
    report.columns.forEach((column, index) => {
      const description = descriptions[index];
      const className = [description.weekend && "ts-weekend", description.today && "ts-today"]
        .filter(Boolean)
        .join(" ");
      headRow.append(
        headerCell(column.key, className, description.upper, description.lower, column.label),
      );
    });
    headRow.append(headerCell("total", "ts-total-cell", "", "Total", "total"));

    const body = document.createDocumentFragment();
    for (const { row, index } of displayRows(report)) {
      const tr = element("tr");
      if (row.subtotal) {
        tr.className = "ts-row--subtotal";
      } else if (row.labels.length > 1) {
        tr.className = "ts-row--child";
      }
      const label = rowLabel(row);
      const th = element("th", "ts-label-cell", label);
      th.scope = "row";
      th.title = row.labels.join(" › ");
      tr.append(th);
      report.columns.forEach((column, columnIndex) => {
        tr.append(valueCell(row.cells[column.key], index, column.key, descriptions[columnIndex]));
      });
      tr.append(element("td", "ts-total-cell", formatHours(row.total)));
      body.append(tr);
    }

    const footRow = element("tr");
    const footLabel = element("th", "ts-label-cell", "Total");
    footLabel.scope = "row";
    footRow.append(footLabel);
    report.columns.forEach((column, columnIndex) => {
      footRow.append(
        valueCell(report.totals[column.key], -1, column.key, descriptions[columnIndex]),
      );
    });
    const grandTotal = element("td", "ts-total-cell", formatHours(report.total));
    grandTotal.id = "ts-grand-total";
    grandTotal.dataset.seconds = String(report.total);
    footRow.append(grandTotal);

    table.tHead.replaceChildren(headRow);
    table.tBodies[0].replaceChildren(body);
    table.tFoot.replaceChildren(footRow);
  }

  function valueCell(seconds, rowIndex, columnKey, description) {
    const td = element("td", description.weekend ? "ts-weekend" : null);
    if (seconds) {
      const button = element("button", "ts-cell", formatHours(seconds));
      button.type = "button";
      button.dataset.row = String(rowIndex);
      button.dataset.column = columnKey;
      button.setAttribute("aria-haspopup", "dialog");
      button.title = "Show worklogs";
      td.append(button);
    }
    return td;
  }

  function onTableClick(event) {
    const sortButtonTarget = event.target.closest(".ts-sort");
    if (sortButtonTarget) {
      changeSort(sortButtonTarget.dataset.sort);
      return;
    }
    const cell = event.target.closest(".ts-cell");
    if (cell) {
      openDetail(cell);
    }
  }

  function changeSort(key) {
    if (state.sort.key === key) {
      state.sort = { key, dir: state.sort.dir === "asc" ? "desc" : "asc" };
    } else {
      state.sort = { key, dir: key === "label" ? "asc" : "desc" };
    }
    renderTable(state.report);
    updateExportLinks();
    const button = table.tHead.querySelector(`[data-sort="${cssEscape(key)}"]`);
    if (button) {
      button.focus();
    }
    const names = { label: "name", total: "total" };
    const column = state.report.columns.find((item) => item.key === key);
    const what = names[key] || (column ? column.label : key);
    announce(`Sorted by ${what}, ${state.sort.dir === "asc" ? "ascending" : "descending"}.`);
  }

  function cssEscape(text) {
    return window.CSS && CSS.escape ? CSS.escape(text) : text.replace(/"/g, '\\"');
  }

  // ---- Worklog detail --------------------------------------------------------------------------

  const dialog = $("ts-detail");
  const detail = { opener: null, request: null };

  function openDetail(cell) {
    const report = state.report;
    const rowIndex = Number(cell.dataset.row);
    const row = rowIndex >= 0 ? report.rows[rowIndex] : null;
    const column = report.columns.find((item) => item.key === cell.dataset.column);
    if (!column || (rowIndex >= 0 && !row)) {
      return;
    }
    detail.opener = { row: rowIndex, column: column.key };
    const rowText = row ? row.labels.join(" › ") : "All rows";
    $("ts-detail-subtitle").textContent = `${rowText} · ${column.label}`;
    const body = $("ts-detail-body");
    body.replaceChildren(loadingLine("Loading worklogs…"));
    body.setAttribute("aria-busy", "true");
    if (!dialog.open) {
      dialog.showModal();
    }
    $("ts-detail-close").focus();

    if (detail.request) {
      detail.request.abort();
    }
    const controller = new AbortController();
    detail.request = controller;
    const params = new URLSearchParams(state.loadedParams);
    params.set("row", JSON.stringify(row ? row.key : []));
    params.set("column", column.key);
    fetchJSON(`${config.api.worklogs}?${params.toString()}`, controller.signal)
      .then((data) => {
        if (detail.request === controller) {
          renderDetail(data.worklogs || []);
        }
      })
      .catch((error) => {
        if (detail.request === controller && !controller.signal.aborted) {
          renderDetailError(error);
        }
      })
      .finally(() => {
        if (detail.request === controller) {
          detail.request = null;
          body.setAttribute("aria-busy", "false");
        }
      });
  }

  function loadingLine(text) {
    const line = element("div", "ts-loading");
    const spinner = element("span", "ts-spinner");
    spinner.setAttribute("aria-hidden", "true");
    line.append(spinner, element("span", null, text));
    return line;
  }

  function startedNode(started) {
    const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(
      started || "",
    );
    const time = element("time", "ts-detail-started");
    time.dateTime = started || "";
    if (!match) {
      time.textContent = started || "";
      return time;
    }
    time.append(`${match[1]} ${match[2]}`);
    if (match[3]) {
      time.append(" ", element("span", "ts-detail-offset", match[3] === "Z" ? "UTC" : match[3]));
    }
    return time;
  }

  function renderDetail(worklogs) {
    const body = $("ts-detail-body");
    if (!worklogs.length) {
      body.replaceChildren(
        element(
          "p",
          "ts-empty__hint",
          "These worklogs have changed since the report was loaded. Apply the report again to refresh it.",
        ),
      );
      return;
    }
    const detailTable = element("table", "ts-detail-table");
    const caption = element("caption", "ts-visually-hidden", "Worklogs in this cell");
    const head = element("thead");
    const headRow = element("tr");
    for (const [text, numeric] of [
      ["Issue", false],
      ["Author", false],
      ["Started", false],
      ["Hours", true],
      ["Comment", false],
    ]) {
      const th = element("th", numeric ? "ts-num" : null, text);
      th.scope = "col";
      headRow.append(th);
    }
    head.append(headRow);
    const tbody = element("tbody");
    let total = 0;
    for (const worklog of worklogs) {
      total += worklog.seconds || 0;
      const tr = element("tr");
      const issue = element("th", null);
      issue.scope = "row";
      issue.append(element("span", "ts-detail-issue", worklog.issue));
      const started = element("td");
      started.append(startedNode(worklog.started));
      const comment = worklog.comment
        ? element("td", "ts-detail-comment", worklog.comment)
        : element("td", "ts-detail-comment ts-detail-comment--none", "No comment");
      tr.append(
        issue,
        element("td", null, worklog.authorName || worklog.author),
        started,
        element("td", "ts-num", formatHours(worklog.seconds || 0)),
        comment,
      );
      tbody.append(tr);
    }
    const foot = element("tfoot");
    const footRow = element("tr");
    const count = element("td", null, `${worklogs.length} ${worklogs.length === 1 ? "worklog" : "worklogs"}`);
    count.colSpan = 3;
    footRow.append(count, element("td", "ts-num", formatHours(total)), element("td"));
    foot.append(footRow);
    detailTable.append(caption, head, tbody, foot);
    body.replaceChildren(detailTable);
  }

  function renderDetailError(error) {
    let text = "The worklogs could not be loaded. Close this and try again.";
    if (error instanceof ApiError) {
      if (error.status === 401) {
        text = "Your session has expired. Reload the page to continue.";
      } else if (error.status === 429) {
        const wait = Math.max(1, Math.ceil(error.retryAfter || 5));
        text = `${error.detail || "Jira is rate limiting this site."} Try again in ${wait} s.`;
      } else if (error.detail) {
        text = error.detail;
      }
    }
    const message = element("div", "ts-message ts-message--error");
    message.setAttribute("role", "alert");
    const inner = element("div", "ts-message__body");
    inner.append(
      element("p", "ts-message__title", "Worklogs unavailable"),
      element("p", "ts-message__text", text),
    );
    message.append(inner);
    $("ts-detail-body").replaceChildren(message);
  }

  function closeDetail() {
    if (dialog.open) {
      dialog.close();
    }
  }

  function onDetailClosed() {
    if (detail.request) {
      detail.request.abort();
      detail.request = null;
    }
    const opener = detail.opener;
    detail.opener = null;
    if (!opener) {
      return;
    }
    const selector = `.ts-cell[data-row="${opener.row}"][data-column="${cssEscape(opener.column)}"]`;
    const cell = table.querySelector(selector);
    if (cell) {
      cell.focus();
    }
  }

  // ---- Frame size ------------------------------------------------------------------------------

  function resizeFrame() {
    const ap = getAP();
    if (!inFrame || !ap) {
      return;
    }
    if (typeof ap.sizeToParent === "function") {
      ap.sizeToParent();
    } else if (typeof ap.resize === "function") {
      ap.resize();
    }
  }

  // ---- Wiring ----------------------------------------------------------------------------------

  function setHoursFormat(format) {
    state.hoursFormat = format === "hm" ? "hm" : "decimal";
    storeHoursFormat(state.hoursFormat);
    if (state.report) {
      renderReport();
    }
  }

  function wire() {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      apply();
    });
    for (const button of presetButtons) {
      button.addEventListener("click", () => {
        state.preset = button.dataset.preset;
        const range = presetRange(state.preset, localToday(), fields.weekStart.value);
        fields.from.value = range[0];
        fields.to.value = range[1];
        markPreset(state.preset);
        apply();
      });
    }
    for (const input of [fields.from, fields.to]) {
      input.addEventListener("input", () => {
        state.preset = null;
        markPreset(matchingPreset(fields.from.value, fields.to.value, fields.weekStart.value));
        clearFieldError(input === fields.from ? "from" : "to");
      });
    }
    fields.weekStart.addEventListener("change", () => {
      if (state.preset) {
        const range = presetRange(state.preset, localToday(), fields.weekStart.value);
        fields.from.value = range[0];
        fields.to.value = range[1];
      }
    });
    fields.group1.addEventListener("change", syncGroupChoices);
    const named = {
      columns: fields.columns,
      week_start: fields.weekStart,
      group: fields.group1,
      tz: fields.tz,
      project: fields.project,
      user: fields.user,
      jql: fields.jql,
    };
    for (const [name, control] of Object.entries(named)) {
      control.addEventListener("input", () => clearFieldError(name));
    }
    fields.group2.addEventListener("input", () => clearFieldError("group"));

    for (const radio of document.querySelectorAll('input[name="hours_format"]')) {
      radio.checked = radio.value === state.hoursFormat;
      radio.addEventListener("change", () => {
        if (radio.checked) {
          setHoursFormat(radio.value);
        }
      });
    }
    links.csv.addEventListener("click", onExportClick);
    links.xlsx.addEventListener("click", onExportClick);
    table.addEventListener("click", onTableClick);

    $("ts-detail-close").addEventListener("click", closeDetail);
    dialog.addEventListener("close", onDetailClosed);
    dialog.addEventListener("click", (event) => {
      // A click on the backdrop lands on the dialog element itself.
      if (event.target === dialog) {
        closeDetail();
      }
    });
    window.addEventListener("load", resizeFrame);
  }

  function start() {
    wire();
    fillForm(config.initial);
    auth.accept(config.token);
    resizeFrame();
    loadReport(formParams(), { autoRetry: true });
  }

  start();
})();
