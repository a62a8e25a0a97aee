"""Right to left (Urdu): the stylesheet and the one script that mirror Streamlit's screens, added only in that run.

Streamlit is drawn left to right: each element aligns its text left explicitly, and tables are a canvas
(glide-data-grid) that always draws from the left. With ``dir="rtl"`` on <html> (ui.language) the page's flex
layout already mirrors (the sidebar on the right, columns and tabs from the right); this stylesheet does the rest:
text read from the right, Latin data (e-mails, phones, codes, numbers typed) kept left to right inside it, charts
left to their own geometry (ui.charts mirrors them). Tables get their columns in reverse order (ui.formatting) and
the script below shows them from their right end, where their first column now is."""
from __future__ import annotations

MAIN = "[data-testid='stMain']"
SIDEBAR = "[data-testid='stSidebar']"

STYLESHEET = f"""
{MAIN}, {SIDEBAR} {{direction: rtl; text-align: right;}}
/* every element (titles, headers, captions, markdown, forms, metrics, alerts, expanders) reads from the right:
   Streamlit writes text-align: left on each element's container */
:is({MAIN}, {SIDEBAR}) [data-testid='stElementContainer'],
:is({MAIN}, {SIDEBAR}) :is(h1, h2, h3, h4, h5, h6, p, li, label, summary, th, td, [data-testid='stMarkdownContainer'],
  [data-testid='stCaptionContainer'], [data-testid='stMetricLabel'], [data-testid='stMetricValue']) {{
  text-align: right;
}}
/* a static table (st.table) aligns each cell in its own style attribute */
{MAIN} [data-testid='stTable'] :is(td, th) {{text-align: right !important;}}
/* the sidebar's open/close arrows point the other way */
:is([data-testid='stSidebarCollapseButton'], [data-testid='stExpandSidebarButton']) [data-testid='stIconMaterial'] {{
  transform: scaleX(-1);
}}
{MAIN} :is(code, pre), [data-testid='stIconMaterial'] {{direction: ltr;}}
/* Latin data keeps its own direction inside right-to-left text: links to an e-mail, a phone or a web page, code */
:is({MAIN}, {SIDEBAR}) :is(a[href^='mailto:'], a[href^='tel:'], a[href^='http'], code) {{unicode-bidi: isolate;}}
/* the sidebar's lines of data (the person's name and username) read in their own direction */
[data-testid='stSidebarUserContent'] [data-testid='stMarkdownContainer'] p {{unicode-bidi: plaintext;}}
/* charts keep their own left-to-right geometry (ui.charts mirrors what they draw) */
{MAIN} :is([data-testid='stVegaLiteChart'], .vega-embed) {{direction: ltr;}}
/* numbers, dates and typed text take the direction of their own first letter (-26.8 stays -26.8, an e-mail
   address reads left to right) */
{MAIN} :is(input, textarea, [data-testid='stMetricValue'], [data-testid='stMetricValue'] *) {{unicode-bidi: plaintext;}}
/* a date is typed in parts (year, month, day) in the order of its format: left to right, or they would swap */
{MAIN} [data-testid='stDateInputFieldsScroller'] {{direction: ltr;}}
/* the grid of a table draws left to right on its canvas: left so, its columns come reversed */
{MAIN} [data-testid='stDataFrame'] {{direction: ltr;}}
"""

# A table wider than the page opens scrolled to its right end, where its first column is. Once per browser page;
# it watches the page for tables (new ones, or one whose width changed) and does nothing in a left-to-right page.
SCRIPT = """<script>
if (!window.__crmTablesFromTheRight) {
  window.__crmTablesFromTheRight = true;
  const fromTheRight = () => {
    if (document.documentElement.dir !== 'rtl') return;
    for (const scroller of document.querySelectorAll("[data-testid='stDataFrame'] .dvn-scroller")) {
      const width = String(scroller.scrollWidth);
      if (scroller.dataset.crmRight !== width && scroller.scrollWidth > scroller.clientWidth) {
        scroller.dataset.crmRight = width;
        scroller.scrollLeft = scroller.scrollWidth;
      }
    }
  };
  new MutationObserver(fromTheRight).observe(document.body, {childList: true, subtree: true});
  fromTheRight();
}
</script>"""
