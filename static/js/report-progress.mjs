// Progress of report builds on a meeting's page (issue 6). Progressive enhancement: without this
// module the page says "Refresh this page"; with it, each waiting or running build's status URL
// is polled and its row updated in place, and the change is announced through a polite live
// region. Values come from our own JSON and are set as text, never as HTML.

const POLL_MS = 2000;
const GIVE_UP_MS = 20 * 60 * 1000;

const LABELS = {
  pending: ["Waiting to be built", "govuk-tag--grey"],
  building: ["Being built", "govuk-tag--blue"],
  ready: ["Ready", "govuk-tag--green"],
  failed: ["Failed", "govuk-tag--red"],
};

function announce(text) {
  const region = document.getElementById("report-progress");
  if (region) region.textContent = text;
}

function tag(state) {
  const [label, css] = LABELS[state] || [state, "govuk-tag--grey"];
  const el = document.createElement("strong");
  el.className = `govuk-tag ${css} app-report-state`;
  el.textContent = label;
  return el;
}

function link(href, text, hidden, download) {
  const a = document.createElement("a");
  a.className = "govuk-link";
  a.href = href;
  if (download) a.setAttribute("download", "");
  a.append(text);
  const span = document.createElement("span");
  span.className = "govuk-visually-hidden";
  span.textContent = hidden;
  a.append(span);
  return a;
}

function render(row, data) {
  const stateCell = row.querySelector("[data-report-state]");
  stateCell.replaceChildren(tag(data.state));
  if (data.state === "failed" && data.error) {
    const note = document.createElement("span");
    note.className = "govuk-body-s";
    note.textContent = data.error;
    stateCell.append(document.createElement("br"), note);
  }
  if (data.built_at) row.querySelector("[data-report-built]").textContent = new Date(data.built_at).toLocaleString("en-GB", { timeZone: "Europe/London" });
  if (data.as_of) row.querySelector("[data-report-as-of]").textContent = data.as_of;
  if (data.html_url) {
    const cell = row.querySelector("[data-report-links]");
    cell.replaceChildren(link(data.html_url, "View", " the paper just built", false));
    if (data.pdf_url) cell.append(" · ", link(data.pdf_url, "Download PDF", " of the paper just built", true));
    if (data.docx_url) cell.append(" · ", link(data.docx_url, "Download Word", " copy of the paper just built, to edit", true));
  }
}

function watch(row) {
  const url = row.dataset.reportStatusUrl;
  const started = Date.now();
  let last = null;
  const tick = async () => {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        const data = await response.json();
        if (data.state !== last) {
          last = data.state;
          render(row, data);
          announce(`Paper build: ${(LABELS[data.state] || [data.state])[0]}.`);
        }
        if (data.state === "ready" || data.state === "failed") {
          document.querySelectorAll("[data-report-refresh-hint]").forEach((el) => el.remove());
          return;
        }
      }
    } catch (error) {
      // A dropped request is retried on the next tick.
    }
    if (Date.now() - started < GIVE_UP_MS) setTimeout(tick, POLL_MS);
  };
  setTimeout(tick, POLL_MS / 2);
}

document.querySelectorAll("[data-report-status-url]").forEach(watch);
