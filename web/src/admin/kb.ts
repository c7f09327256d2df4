// Knowledge-base management: the document list (filter, delete with a confirm step), uploads
// and a test search, over the /v1/kb/* endpoints.
import {
  deleteDocument,
  listDocuments,
  searchKb,
  uploadDocument,
  type ImportReport,
  type KbDocument,
  type SearchResult,
  type Upload,
} from "./api";
import { byId, clearError, errorText, h, messageRow, UiError } from "./dom";
import { fmtDecimal, fmtInt, fmtPercent, fmtTime, langName, t } from "./i18n";
import { adminKey, reportError } from "./session";

const listColumns = 7;
const snippetChars = 280;

let docs: KbDocument[] | null = null;
let confirming: string | null = null; // the id whose delete awaits confirmation
let justUploaded = new Set<string>(); // highlighted in the list after an upload
let lastReport: ImportReport | null = null;
let lastSearch: SearchResult | null = null;
let lastDeleted: string | null = null;

export function initKb(): void {
  byId("kb-reload").addEventListener("click", () => void loadDocuments());
  byId("kb-filter").addEventListener("input", drawList);
  byId("kb-list").addEventListener("click", onListClick);
  byId<HTMLFormElement>("kb-upload-form").addEventListener("submit", (e) => {
    e.preventDefault();
    void upload();
  });
  byId<HTMLFormElement>("kb-search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    void search();
  });
}

export function startKb(): void {
  void loadDocuments();
}

// Forgets everything shown, so the next operator to sign in sees nothing of this one's work.
export function stopKb(): void {
  docs = null;
  confirming = null;
  justUploaded = new Set();
  lastReport = null;
  lastSearch = null;
  lastDeleted = null;
  byId("kb-status").textContent = "";
  byId<HTMLInputElement>("kb-filter").value = "";
  byId<HTMLFormElement>("kb-upload-form").reset();
  byId<HTMLFormElement>("kb-search-form").reset();
  byId("kb-list").querySelector("tbody")!.replaceChildren();
  byId("kb-count").textContent = "";
  byId("kb-upload-report").replaceChildren();
  byId("kb-upload-report").classList.remove("has-errors");
  byId("kb-search-results").replaceChildren();
}

// Draws what depends on the language again.
export function drawKb(): void {
  drawList();
  if (lastDeleted !== null) byId("kb-status").textContent = t("kbDeleted", { id: lastDeleted });
  drawReport();
  drawSearch();
}

async function loadDocuments(): Promise<void> {
  const table = byId("kb-list");
  table.setAttribute("aria-busy", "true");
  if (docs === null) table.querySelector("tbody")!.replaceChildren(messageRow(listColumns, t("kbLoading")));
  try {
    const list = await listDocuments(adminKey());
    if (!adminKey()) return; // signed out while it loaded
    docs = list;
    clearError("kb-list");
    drawList();
  } catch (e) {
    reportError(e, "kb-list");
  } finally {
    table.removeAttribute("aria-busy");
  }
}

function updatedMs(d: KbDocument): number {
  return typeof d.updated_at === "number" ? d.updated_at : Date.parse(d.updated_at) || 0;
}

function drawList(): void {
  if (docs === null) return;
  const needle = byId<HTMLInputElement>("kb-filter").value.trim().toLowerCase();
  const shown = docs
    .filter((d) => [d.id, d.title, d.category, d.lang, d.format].some((f) => f.toLowerCase().includes(needle)))
    // Newest first: a document just uploaded is at the top.
    .sort((a, b) => updatedMs(b) - updatedMs(a) || a.id.localeCompare(b.id));
  byId("kb-count").textContent =
    shown.length === docs.length
      ? t("kbCount", { n: fmtInt(docs.length) })
      : t("kbShown", { shown: fmtInt(shown.length), n: fmtInt(docs.length) });
  const body = byId("kb-list").querySelector("tbody")!;
  if (shown.length === 0) {
    body.replaceChildren(messageRow(listColumns, t(docs.length === 0 ? "kbEmpty" : "kbNoMatch")));
    return;
  }
  body.replaceChildren(...shown.map(documentRow));
}

function documentRow(d: KbDocument): HTMLTableRowElement {
  const action = (name: string, text: string, className: string, label?: string) => {
    const b = h("button", { type: "button", className, textContent: text, dataset: { action: name, id: d.id } });
    if (label) b.setAttribute("aria-label", label);
    return b;
  };
  const actions =
    confirming === d.id
      ? h(
          "span",
          { className: "confirm" },
          h("span", {}, t("kbConfirmDelete")),
          action("delete-yes", t("kbDeleteYes"), "danger kb-delete-confirm"),
          action("delete-no", t("kbDeleteNo"), "kb-delete-cancel"),
        )
      : action("delete", t("kbDelete"), "ghost kb-delete", t("kbDeleteLabel", { id: d.id }));
  return h(
    "tr",
    { className: justUploaded.has(d.id) ? "is-new" : "", dataset: { id: d.id } },
    h("td", { className: "id" }, h("code", {}, d.id)),
    h("td", {}, d.title),
    h("td", {}, langName(d.lang)),
    h("td", {}, d.category),
    h("td", {}, d.format),
    h("td", { className: "time" }, fmtTime(d.updated_at)),
    h("td", { className: "actions" }, actions),
  );
}

function focusAction(id: string, action: string): void {
  const selector = `button[data-action="${action}"][data-id="${CSS.escape(id)}"]`;
  byId("kb-list").querySelector<HTMLButtonElement>(selector)?.focus();
}

// The rows' buttons, by delegation: the list is redrawn too often to wire each one.
function onListClick(e: Event): void {
  const button = (e.target as Element).closest<HTMLButtonElement>("button[data-action]");
  const id = button?.dataset.id;
  if (!button || id === undefined) return;
  switch (button.dataset.action) {
    case "delete":
      confirming = id;
      drawList();
      focusAction(id, "delete-no"); // the safe choice under the keyboard
      break;
    case "delete-no":
      confirming = null;
      drawList();
      focusAction(id, "delete");
      break;
    case "delete-yes":
      void remove(id, button);
      break;
  }
}

async function remove(id: string, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  try {
    await deleteDocument(adminKey(), id);
    clearError("kb-delete");
    confirming = null;
    docs = docs?.filter((d) => d.id !== id) ?? null;
    drawList();
    lastDeleted = id;
    byId("kb-status").textContent = t("kbDeleted", { id });
    byId("kb-list-title").focus();
  } catch (e) {
    button.disabled = false;
    reportError(e, "kb-delete");
  }
}

// What to send: every chosen file, read as text here, or else the pasted name and content.
async function collectUploads(): Promise<Upload[]> {
  const files = Array.from(byId<HTMLInputElement>("kb-upload-file").files ?? []);
  const category = byId<HTMLInputElement>("kb-upload-category").value.trim();
  const langChoice = byId<HTMLSelectElement>("kb-upload-lang").value;
  const extra: Partial<Upload> = {
    ...(category ? { category } : {}),
    ...(langChoice === "zh" || langChoice === "en" ? { lang: langChoice } : {}),
  };
  if (files.length > 0) {
    return Promise.all(files.map(async (f) => ({ name: f.name, content: await f.text(), ...extra })));
  }
  const name = byId<HTMLInputElement>("kb-upload-name").value.trim();
  const content = byId<HTMLTextAreaElement>("kb-upload-content").value;
  return name && content.trim() ? [{ name, content, ...extra }] : [];
}

async function upload(): Promise<void> {
  const send = byId<HTMLButtonElement>("kb-upload-send");
  let uploads: Upload[];
  try {
    uploads = await collectUploads();
  } catch (e) {
    reportError(e, "kb-upload"); // a file the browser could not read
    return;
  }
  if (uploads.length === 0) {
    reportError(new UiError("uploadNeedInput"), "kb-upload");
    return;
  }
  send.disabled = true;
  send.textContent = t("uploadSending");
  const total: ImportReport = { added: 0, updated: 0, unchanged: 0, failed: 0, chunks: 0, errors: [] };
  const ids: string[] = [];
  let sent = 0;
  // One request per file, in turn: the server imports each as a unit, and one bad file must
  // not stop the others.
  for (const u of uploads) {
    try {
      const r = await uploadDocument(adminKey(), u);
      total.added += r.added;
      total.updated += r.updated;
      total.unchanged += r.unchanged;
      total.failed += r.failed;
      total.chunks += r.chunks;
      total.errors.push(...r.errors);
      ids.push(...(r.ids ?? []));
      sent++;
    } catch (e) {
      total.failed++;
      total.errors.push(`${u.name}: ${errorText(e)}`);
      reportError(e, "kb-upload", u.name);
      if (!adminKey()) break; // the key was refused: the session is over
    }
  }
  send.disabled = false;
  send.textContent = t("uploadSend");
  if (!adminKey()) return; // signed out meanwhile: nothing of this belongs on the page now
  lastReport = total;
  drawReport();
  if (sent === 0) return;
  if (sent === uploads.length) {
    clearError("kb-upload");
    // Done with these: clear them so a second click does not send them again.
    byId("kb-upload-form")
      .querySelectorAll<HTMLInputElement | HTMLTextAreaElement>("#kb-upload-file, #kb-upload-name, #kb-upload-content")
      .forEach((el) => (el.value = ""));
  }
  justUploaded = new Set(ids);
  await loadDocuments();
}

function drawReport(): void {
  const region = byId("kb-upload-report");
  if (!lastReport) return;
  const r = lastReport;
  region.classList.toggle("has-errors", r.errors.length > 0);
  region.replaceChildren(
    h(
      "p",
      {},
      t("uploadReport", { added: r.added, updated: r.updated, unchanged: r.unchanged, failed: r.failed, chunks: r.chunks }),
    ),
  );
  if (r.errors.length > 0) {
    region.append(
      h("p", { className: "report-errors-title" }, t("uploadErrors")),
      h("ul", { className: "report-errors" }, ...r.errors.map((msg) => h("li", {}, msg))),
    );
  }
}

async function search(): Promise<void> {
  const q = byId<HTMLInputElement>("kb-search-q").value.trim();
  if (!q) return;
  const results = byId("kb-search-results");
  const send = byId<HTMLButtonElement>("kb-search-send");
  results.setAttribute("aria-busy", "true");
  send.disabled = true;
  try {
    const found = await searchKb(adminKey(), q);
    if (!adminKey()) return; // signed out while it searched
    lastSearch = found;
    clearError("kb-search");
    drawSearch();
  } catch (e) {
    reportError(e, "kb-search");
  } finally {
    results.removeAttribute("aria-busy");
    send.disabled = false;
  }
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > snippetChars ? flat.slice(0, snippetChars) + "…" : flat;
}

function drawSearch(): void {
  const results = byId("kb-search-results");
  if (!lastSearch) return;
  const { hits, mode } = lastSearch;
  if (hits.length === 0) {
    results.replaceChildren(h("p", { className: "muted" }, t("searchNone")));
    return;
  }
  results.replaceChildren(
    h("p", { className: "muted" }, t("searchCount", { n: hits.length, mode })),
    h(
      "ol",
      { className: "hits" },
      ...hits.map((hit) => {
        const meter = h("meter", { min: 0, max: 1, value: hit.confidence });
        meter.setAttribute("aria-label", t("searchConfidence"));
        return h(
          "li",
          { className: "hit" },
          h(
            "div",
            { className: "hit-head" },
            h("h4", {}, hit.title || hit.doc_id),
            h(
              "span",
              { className: "hit-score" },
              `${t("searchScore")} ${fmtDecimal(hit.score, 2)} · ` +
                `${t("searchConfidence")} ${fmtPercent(hit.confidence, 0)}`,
              meter,
            ),
          ),
          h(
            "p",
            { className: "hit-meta" },
            hit.heading && h("span", { className: "hit-heading" }, hit.heading),
            h("code", {}, hit.doc_id),
            [hit.category, langName(hit.lang)].filter(Boolean).join(" · "),
          ),
          h("p", { className: "hit-text" }, snippet(hit.text)),
        );
      }),
    ),
  );
}
