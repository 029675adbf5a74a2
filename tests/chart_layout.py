"""What the layout browser tests measure on a rendered Plotly chart (issues 25 and 29): the
boxes of every text Plotly draws in its SVG (annotations, tick labels, axis titles, legend
entries, bar and point texts), read with ``getBoundingClientRect`` in the browser; two boxes
of one chart that intersect are a collision, a box not inside the chart's own SVG is cut off."""

from __future__ import annotations

MEASURE = r"""() => {
  const out = [];
  document.querySelectorAll('.js-plotly-plot').forEach((plot, i) => {
    const host = plot.closest('[class*="st-key-"]');
    const m = host && host.className.match(/st-key-(\S+)/);
    const name = (m ? m[1] : 'chart' + i);
    const svg = plot.querySelector('.main-svg');
    if (!svg) return;
    const f = svg.getBoundingClientRect();
    if (f.width < 1) return;  // not drawn (a closed tab or expander)
    const items = [];
    const add = (sel, kind) => plot.querySelectorAll(sel).forEach(el => {
      const text = (el.textContent || '').trim();
      if (!text) return;
      const style = getComputedStyle(el);
      if (style.display === 'none' || style.visibility === 'hidden' || style.opacity === '0')
        return;
      const r = el.getBoundingClientRect();
      if (r.width < 0.5 || r.height < 0.5) return;
      items.push({kind, text, l: r.left, t: r.top, r: r.right, b: r.bottom});
    });
    add('.annotation-text-g text', 'annotation');
    add('.xtick text', 'xtick');
    add('.ytick text', 'ytick');
    add('.g-xtitle text', 'xtitle');
    add('.g-ytitle text', 'ytitle');
    add('.g-gtitle text', 'title');
    add('.legend .traces text', 'legend');
    add('.bartext', 'bartext');
    add('.textpoint text', 'text');
    const pad = 0.5;
    const collisions = [], cut = [];
    for (let a = 0; a < items.length; a++) {
      const p = items[a];
      if (p.l < f.left - pad || p.t < f.top - pad || p.r > f.right + pad || p.b > f.bottom + pad)
        cut.push(p.kind + ':' + p.text);
      for (let b = a + 1; b < items.length; b++) {
        const q = items[b];
        if (p.l < q.r - pad && q.l < p.r - pad && p.t < q.b - pad && q.t < p.b - pad)
          collisions.push(p.kind + ':' + p.text + ' × ' + q.kind + ':' + q.text);
      }
    }
    // every FY drawn has its tick label (a chart over FYs: meta.time_axis "fy")
    const missing = [];
    const lay = plot.layout || {};
    if (lay.meta && lay.meta.time_axis === 'fy' && lay.xaxis && lay.xaxis.tickvals) {
      const shown = new Set(items.filter(x => x.kind === 'xtick').map(x => x.text));
      const xs = new Set();
      (plot.data || []).forEach(t => (t.x || []).forEach(x => { if (x !== null) xs.add(x); }));
      xs.forEach(x => {
        const k = lay.xaxis.tickvals.indexOf(x);
        const label = k < 0 ? String(x) : lay.xaxis.ticktext[k];
        if (!shown.has(label)) missing.push(label);
      });
    }
    // a bar's value is readable (10 px at least: Plotly shrank some to 5 px) or left out
    const small = [...plot.querySelectorAll('.bartext')].filter(el => {
      const size = parseFloat(el.style.fontSize || getComputedStyle(el).fontSize);
      return (el.textContent || '').trim() && size < 9.5;
    }).map(el => 'bartext:' + el.textContent.trim() + ' ' + el.style.fontSize);
    // no Plotly toolbar over the chart (on a touch screen it stayed over the first rows)
    if (plot.querySelector('.modebar-container .modebar-btn')) small.push('modebar');
    out.push({name, width: f.width, items: items.length, collisions, cut, missing, small});
  });
  return out;
}"""

# every chart of the page is drawn (Plotly has put its SVG in each)
DRAWN = """() => {
  const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
  return charts.every(c => c.querySelector('.main-svg .xtick, .main-svg .ytick'));
}"""


def measure(page: object) -> list[dict]:
    """Every drawn chart of ``page``: its name (the Streamlit key), and its collisions, cut-off
    texts and missing FY ticks (lists of readable descriptions; empty when all is well)."""
    page.wait_for_function(DRAWN, timeout=30_000)
    page.wait_for_timeout(300)  # Plotly's second pass (automargin) after the first draw
    return page.evaluate(MEASURE)
