/*
 * Smart Timesheet: the report's chart, a stacked bar per column of the grid.
 *
 * One bar per report column (day, week, month... or pivot value), stacked by the report's first
 * grouping level (users, projects...): the biggest groups get a colour each and the rest are
 * folded into "Other", so that a report of a thousand issues stays readable. The numbers are the
 * report's own: the chart adds up each top-level row once (the subtotal rows of a two-level
 * report) and draws nothing per leaf row, so a year of days by a thousand rows costs one pass.
 *
 * The chart is inline SVG built with DOM calls (no markup from data, no inline style: the page
 * runs under a content security policy without 'unsafe-inline', in Jira and as a Forge Custom
 * UI page). Each segment is an image with a name and a tooltip, the segments take the keyboard
 * (one tab stop, arrow keys between them), and a table of the same numbers is always there for
 * screen readers and can be shown on screen.
 *
 * `SmartTimesheetChart.create(options)` answers a controller for the chart elements of the page
 * (see the template); timesheet.js hands it each report and tells it when the hours format or
 * the report's freshness change. `aggregate` and `scale` are pure and tested on their own.
 */
(function () {
  "use strict";

  // The chart's English text, used when the page hands none (the page passes its string
  // table's chart.* texts); {name} marks a value put in.
  const TEXT = {
    title: "Hours per column, stacked by {group}",
    other: "Other ({count})",
    segment: "{series}, {column}: {hours}",
    bar: "{column}: {hours} in all",
    legendItem: "{series}: {hours}",
    column: "Column",
    total: "Total",
    showTable: "Show the numbers",
    hideTable: "Hide the numbers",
    keys: "Arrow keys move between the bars and their parts.",
  };

  // Series with a colour of their own; with more groups than this and one, the smallest share
  // "Other" (one more colour would be harder to tell apart than a named remainder).
  const SERIES_LIMIT = 8;
  const SVG = "http://www.w3.org/2000/svg";
  const STORAGE_KEY = "smart-timesheet:chart";
  // Geometry, in px.
  const HEIGHT = 240;
  const MARGIN = { top: 12, right: 12, bottom: 28, left: 56 };
  const MIN_SLOT = 3;
  const MAX_BAR = 56;
  const CHAR_WIDTH = 6.5;

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (whole, name) =>
      Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole,
    );
  }

  // ---- The numbers -----------------------------------------------------------------------------

  // The chart's series from a report: {columns, series: [{key, label, values, total, other}],
  // totals}. The top-level rows are the report's rows, or its subtotal rows when it has two
  // levels; each is one series, largest total first, the smallest folded into one "Other".
  function aggregate(report, options) {
    const limit = (options && options.limit) || SERIES_LIMIT;
    const text = (options && options.text) || TEXT;
    const columns = report.columns || [];
    const rows = report.rows || [];
    const position = new Map(columns.map((column, index) => [column.key, index]));
    const twoLevel = rows.some((row) => row.subtotal);
    const top = rows.filter((row) => (twoLevel ? row.subtotal : true) && row.total > 0);
    const labelOf = (row) => row.labels[0] || "";
    const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });
    top.sort((a, b) => b.total - a.total || collator.compare(labelOf(a), labelOf(b)));
    const kept = top.length > limit + 1 ? top.slice(0, limit) : top;
    const valuesOf = (row, values) => {
      for (const key of Object.keys(row.cells)) {
        const index = position.get(key);
        if (index !== undefined) {
          values[index] += row.cells[key];
        }
      }
      return values;
    };
    const series = kept.map((row) => ({
      key: JSON.stringify(row.key.slice(0, 1)),
      label: labelOf(row),
      values: valuesOf(row, new Array(columns.length).fill(0)),
      total: row.total,
      other: false,
    }));
    const rest = top.slice(kept.length);
    if (rest.length) {
      const values = new Array(columns.length).fill(0);
      rest.forEach((row) => valuesOf(row, values));
      series.push({
        key: "other",
        label: fill(text.other, { count: rest.length }),
        values,
        total: rest.reduce((sum, row) => sum + row.total, 0),
        other: true,
      });
    }
    const totals = columns.map((_, index) =>
      series.reduce((sum, item) => sum + item.values[index], 0),
    );
    return { columns, series, totals };
  }

  // The value axis for a largest bar of `seconds`: a round step in hours (1, 2 or 5 times a power
  // of ten, or quarter and half hours) and the top of the axis, both in seconds.
  function scale(seconds) {
    const hours = Math.max(seconds, 1) / 3600;
    const rough = hours / 4;
    const power = Math.pow(10, Math.floor(Math.log10(rough)));
    let step = [1, 2, 2.5, 5, 10].map((factor) => factor * power).find((value) => value >= rough);
    step = Math.max(step, 0.25);
    const top = Math.ceil(hours / step) * step;
    return { step: Math.round(step * 3600), top: Math.round(top * 3600) };
  }

  // ---- Drawing ---------------------------------------------------------------------------------

  function svg(tag, attributes) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      node.setAttribute(name, String(value));
    }
    return node;
  }

  function html(tag, className, text) {
    const node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }

  function seriesClass(item, index) {
    return item.other ? "ts-series-other" : `ts-series-${index}`;
  }

  // A label cut to `chars` characters, the cut marked.
  function clip(label, chars) {
    return label.length <= chars ? label : `${label.slice(0, Math.max(chars - 1, 1))}…`;
  }

  // The controller for the page's chart elements. options: formatHours(seconds) (the grid's
  // text), hoursText(seconds) (with its unit), onResize() (the frame may need to grow),
  // text (overrides of TEXT).
  function create(options) {
    const text = Object.assign({}, TEXT, options.text || {});
    const $ = (id) => document.getElementById(id);
    const parts = {
      toggle: $("ts-chart-toggle"),
      figure: $("ts-chart"),
      title: $("ts-chart-title"),
      plot: $("ts-chart-plot"),
      readout: $("ts-chart-readout"),
      legend: $("ts-chart-legend"),
      tableToggle: $("ts-chart-table-toggle"),
      data: $("ts-chart-data"),
      table: $("ts-chart-table"),
    };
    if (!parts.toggle || !parts.figure) {
      return null;
    }
    const chart = {
      shown: readShown(),
      report: null,
      group: "",
      stale: false,
      drawn: null,
      pending: 0,
      resizeFrame: 0,
      width: 0,
    };

    function readShown() {
      try {
        return window.localStorage.getItem(STORAGE_KEY) === "shown";
      } catch (error) {
        return false;
      }
    }

    function storeShown() {
      try {
        window.localStorage.setItem(STORAGE_KEY, chart.shown ? "shown" : "hidden");
      } catch (error) {
        // Storage can be unavailable in a third-party frame; the choice then lasts this visit.
      }
    }

    function hasData() {
      return Boolean(chart.report && chart.report.rows.length);
    }

    // Shows or hides the figure; draws it (after the grid has had its paint) when it is due.
    function sync() {
      parts.toggle.setAttribute("aria-pressed", String(chart.shown));
      const visible = chart.shown && hasData();
      parts.figure.hidden = !visible;
      parts.figure.classList.toggle("ts-chart--stale", chart.stale);
      parts.figure.inert = chart.stale;
      if (visible && chart.drawn !== chart.report) {
        schedule();
      }
    }

    function schedule() {
      if (chart.pending) {
        return;
      }
      // Two frames and a task later: the grid of a new report (or in the new hours format) is
      // on screen first, and the chart follows.
      chart.pending = window.requestAnimationFrame(() => {
        window.requestAnimationFrame(() => {
          window.setTimeout(() => {
            chart.pending = 0;
            if (chart.shown && hasData()) {
              draw();
            }
          }, 0);
        });
      });
    }

    function draw() {
      const data = aggregate(chart.report, { text });
      chart.drawn = chart.report;
      chart.width = parts.plot.clientWidth;
      parts.title.textContent = fill(text.title, { group: chart.group });
      drawPlot(data);
      drawLegend(data);
      drawTable(data);
      parts.readout.textContent = "";
      if (options.onResize) {
        options.onResize();
      }
    }

    function drawPlot(data) {
      const count = data.columns.length;
      const available = Math.max((chart.width || 800) - MARGIN.left - MARGIN.right, 120);
      const plotWidth = Math.max(available, count * MIN_SLOT);
      const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
      const slot = plotWidth / Math.max(count, 1);
      const barWidth = Math.min(MAX_BAR, slot > 6 ? slot * 0.72 : Math.max(slot - 1, 1));
      const axis = scale(Math.max(0, ...data.totals));
      const y = (seconds) => MARGIN.top + plotHeight - (seconds / axis.top) * plotHeight;
      const width = MARGIN.left + plotWidth + MARGIN.right;
      const root = svg("svg", {
        class: "ts-chart__svg",
        width,
        height: HEIGHT,
        viewBox: `0 0 ${width} ${HEIGHT}`,
        role: "group",
        "aria-labelledby": "ts-chart-title",
        "aria-describedby": "ts-chart-keys",
      });
      const keys = svg("desc", { id: "ts-chart-keys" });
      keys.textContent = text.keys;
      root.append(keys);

      const grid = svg("g", { class: "ts-chart__axis", "aria-hidden": "true" });
      for (let value = 0; value <= axis.top; value += axis.step) {
        const at = y(value);
        grid.append(
          svg("line", {
            class: value === 0 ? "ts-chart__baseline" : "ts-chart__gridline",
            x1: MARGIN.left,
            x2: MARGIN.left + plotWidth,
            y1: at,
            y2: at,
          }),
        );
        const label = svg("text", { x: MARGIN.left - 6, y: at + 4, "text-anchor": "end" });
        label.textContent = options.formatHours(value);
        grid.append(label);
      }
      // Column labels, as many as fit side by side.
      const longest = data.columns.reduce((most, column) => Math.max(most, column.label.length), 0);
      const every = Math.max(1, Math.ceil((Math.min(longest, 14) * CHAR_WIDTH + 8) / slot));
      const chars = Math.max(3, Math.floor((slot * every - 8) / CHAR_WIDTH));
      for (let index = 0; index < count; index += every) {
        const label = svg("text", {
          x: MARGIN.left + slot * (index + 0.5),
          y: HEIGHT - MARGIN.bottom + 16,
          "text-anchor": "middle",
        });
        label.textContent = clip(data.columns[index].label, chars);
        grid.append(label);
      }
      root.append(grid);

      const bars = svg("g", { class: "ts-chart__bars" });
      let first = null;
      data.columns.forEach((column, index) => {
        const total = data.totals[index];
        const bar = svg("g", {
          class: "ts-chart__bar",
          role: "group",
          "data-column": column.key,
          "data-seconds": total,
          "aria-label": fill(text.bar, { column: column.label, hours: options.hoursText(total) }),
        });
        const x = MARGIN.left + slot * index + (slot - barWidth) / 2;
        let base = 0;
        data.series.forEach((item, seriesIndex) => {
          const seconds = item.values[index];
          if (!seconds) {
            return;
          }
          const name = fill(text.segment, {
            series: item.label,
            column: column.label,
            hours: options.hoursText(seconds),
          });
          const top = y(base + seconds);
          const segment = svg("rect", {
            class: `ts-chart__segment ${seriesClass(item, seriesIndex)}`,
            x,
            y: top,
            width: barWidth,
            height: Math.max(y(base) - top, 0.5),
            role: "img",
            "aria-label": name,
            tabindex: "-1",
            "data-series": seriesIndex,
            "data-seconds": seconds,
          });
          const title = svg("title");
          title.textContent = name;
          segment.append(title);
          bar.append(segment);
          base += seconds;
          first = first || segment;
        });
        bars.append(bar);
      });
      if (first) {
        first.setAttribute("tabindex", "0");
      }
      root.append(bars);
      parts.plot.replaceChildren(root);
    }

    function drawLegend(data) {
      parts.legend.replaceChildren(
        ...data.series.map((item, index) => {
          const entry = html("li", "ts-chart__legend-item");
          const swatch = html("span", `ts-chart__swatch ${seriesClass(item, index)}`);
          swatch.setAttribute("aria-hidden", "true");
          entry.append(
            swatch,
            fill(text.legendItem, { series: item.label, hours: options.hoursText(item.total) }),
          );
          return entry;
        }),
      );
    }

    function drawTable(data) {
      const table = parts.table;
      table.replaceChildren();
      table.createCaption().textContent = fill(text.title, { group: chart.group });
      const headRow = table.createTHead().insertRow();
      for (const label of [text.column, ...data.series.map((item) => item.label), text.total]) {
        const th = html("th", null, label);
        th.scope = "col";
        headRow.append(th);
      }
      const body = table.createTBody();
      data.columns.forEach((column, index) => {
        const tr = body.insertRow();
        const th = html("th", null, column.label);
        th.scope = "row";
        tr.append(th);
        for (const item of data.series) {
          tr.append(html("td", null, options.formatHours(item.values[index])));
        }
        tr.append(html("td", "ts-chart-table__total", options.formatHours(data.totals[index])));
      });
      const foot = table.createTFoot().insertRow();
      const th = html("th", null, text.total);
      th.scope = "row";
      foot.append(th);
      for (const item of data.series) {
        foot.append(html("td", null, options.formatHours(item.total)));
      }
      const all = data.totals.reduce((sum, seconds) => sum + seconds, 0);
      foot.append(html("td", "ts-chart-table__total", options.formatHours(all)));
    }

    // ---- Keyboard and pointer: one tab stop, arrows between segments ----

    function segments(bar) {
      return bar ? Array.from(bar.querySelectorAll(".ts-chart__segment")) : [];
    }

    function moveTo(target) {
      if (!target) {
        return;
      }
      for (const node of parts.plot.querySelectorAll('.ts-chart__segment[tabindex="0"]')) {
        node.setAttribute("tabindex", "-1");
      }
      target.setAttribute("tabindex", "0");
      target.focus();
    }

    // The segment of the same series in the nearest bar with any, in `step`'s direction.
    function neighbour(current, step) {
      const bars = Array.from(parts.plot.querySelectorAll(".ts-chart__bar"));
      let index = bars.indexOf(current.parentNode) + step;
      for (; index >= 0 && index < bars.length; index += step) {
        const found = segments(bars[index]);
        if (found.length) {
          const same = found.find((node) => node.dataset.series === current.dataset.series);
          return same || found[0];
        }
      }
      return null;
    }

    function onKeydown(event) {
      const current = event.target.closest(".ts-chart__segment");
      if (!current) {
        return;
      }
      const inBar = segments(current.parentNode);
      const at = inBar.indexOf(current);
      const all = () => Array.from(parts.plot.querySelectorAll(".ts-chart__segment"));
      const moves = {
        ArrowRight: () => neighbour(current, 1),
        ArrowLeft: () => neighbour(current, -1),
        ArrowUp: () => inBar[at + 1],
        ArrowDown: () => inBar[at - 1],
        Home: () => all()[0],
        End: () => all().pop(),
      };
      if (moves[event.key]) {
        event.preventDefault();
        moveTo(moves[event.key]());
      }
    }

    // What the pointer or the keyboard is on, in words under the chart (a tooltip shows only
    // for the mouse).
    function onPoint(event) {
      const segment = event.target.closest && event.target.closest(".ts-chart__segment");
      if (segment) {
        parts.readout.textContent = segment.getAttribute("aria-label");
      }
    }

    function toggleTable() {
      const open = parts.tableToggle.getAttribute("aria-expanded") !== "true";
      parts.tableToggle.setAttribute("aria-expanded", String(open));
      parts.tableToggle.textContent = open ? text.hideTable : text.showTable;
      // Hidden from view, never from screen readers: the table is the chart in words.
      parts.data.classList.toggle("ts-visually-hidden", !open);
      if (options.onResize) {
        options.onResize();
      }
    }

    function onWindowResize() {
      if (chart.resizeFrame || parts.figure.hidden) {
        return;
      }
      chart.resizeFrame = window.requestAnimationFrame(() => {
        chart.resizeFrame = 0;
        if (!parts.figure.hidden && parts.plot.clientWidth !== chart.width) {
          chart.drawn = null;
          sync();
        }
      });
    }

    parts.toggle.addEventListener("click", () => {
      chart.shown = !chart.shown;
      storeShown();
      sync();
      if (options.onResize) {
        options.onResize();
      }
    });
    parts.tableToggle.textContent = text.showTable;
    parts.tableToggle.addEventListener("click", toggleTable);
    parts.plot.addEventListener("keydown", onKeydown);
    parts.plot.addEventListener("focusin", onPoint);
    parts.plot.addEventListener("mouseover", onPoint);
    window.addEventListener("resize", onWindowResize);
    sync();

    return {
      // A new report (rows and columns as the API answers them); `group` names its first
      // level in words ("user").
      setReport(report, group) {
        chart.report = report;
        chart.group = group;
        chart.drawn = null;
        sync();
      },
      // The hours format changed: the same numbers, written the other way.
      refresh() {
        chart.drawn = null;
        sync();
      },
      // A report failed to load: the chart stays, greyed and out of reach, as the grid does.
      setStale(stale) {
        chart.stale = Boolean(stale);
        sync();
      },
    };
  }

  window.SmartTimesheetChart = { TEXT, SERIES_LIMIT, aggregate, scale, create };
})();
