// bench/results/latest.svg, drawn from the CPU mode's summary with no chart library: µs of CPU per
// request by workload, one bar per variant, one panel per platform, and bare Nest's figure as a
// dashed floor line across each workload's group.
import { PLATFORMS, ROLES, variantOf } from './cpu-summary.mjs';

const COLORS = {
  bare: '#9e9e9e',
  'noop-scoped': '#c5cae9',
  'noop-params': '#b2dfdb',
  'noop-global': '#7986cb',
  lib: '#1565c0',
  peer: '#ef6c00',
};
const WIDTH = 960;
const PANEL_HEIGHT = 270;
const PLOT = { left: 56, right: 16, top: 34, bottom: 40 };

const esc = (text) =>
  String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A round step (1, 2, 5 × 10^n) that gives about five grid lines up to `max`. */
function niceStep(max) {
  const raw = max / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
}

function panel(summary, workloads, { platform, label, peer }, y0) {
  const columns = ROLES.map((r) => [r, variantOf(summary, platform, r.role)]).filter(([, v]) => v);
  if (columns.length === 0) return '';
  const values = columns.flatMap(([, [, v]]) => workloads.map((w) => v.cells[w]?.cpuUs ?? 0));
  const step = niceStep(Math.max(...values, 1) * 1.1);
  const top = Math.ceil((Math.max(...values, 1) * 1.12) / step) * step;
  const plotW = WIDTH - PLOT.left - PLOT.right;
  const plotH = PANEL_HEIGHT - PLOT.top - PLOT.bottom;
  const y = (value) => y0 + PLOT.top + plotH - (value / top) * plotH;
  const groupW = plotW / workloads.length;
  const barW = Math.min(34, (groupW * 0.8) / columns.length);
  const out = [];
  out.push(
    `<text x="${PLOT.left}" y="${y0 + 20}" font-size="14" font-weight="600">${esc(label)} <tspan font-weight="400" fill="#555">(peer: ${esc(peer)})</tspan></text>`,
  );
  for (let tick = 0; tick <= top; tick += step) {
    out.push(
      `<line x1="${PLOT.left}" x2="${WIDTH - PLOT.right}" y1="${y(tick)}" y2="${y(tick)}" stroke="#e0e0e0"/>`,
      `<text x="${PLOT.left - 6}" y="${y(tick) + 4}" font-size="11" text-anchor="end" fill="#555">${tick}</text>`,
    );
  }
  out.push(
    `<text transform="translate(14 ${y0 + PLOT.top + plotH / 2}) rotate(-90)" font-size="11" text-anchor="middle" fill="#555">µs CPU / request</text>`,
  );
  workloads.forEach((w, g) => {
    const gx = PLOT.left + g * groupW;
    const start = gx + (groupW - barW * columns.length) / 2;
    // The floor first, so that the bars and their labels are drawn over it.
    const bare = columns.find(([r]) => r.role === 'bare')?.[1][1].cells[w]?.cpuUs;
    if (bare != null) {
      out.push(
        `<line x1="${gx + 4}" x2="${gx + groupW - 4}" y1="${y(bare)}" y2="${y(bare)}" stroke="#212121" stroke-width="1.5" stroke-dasharray="5 3"/>`,
      );
    }
    columns.forEach(([role, [, v]], i) => {
      const cell = v.cells[w];
      const x = start + i * barW;
      if (cell?.cpuUs == null) {
        out.push(
          `<text x="${x + barW / 2}" y="${y(0) - 4}" font-size="9" text-anchor="middle" fill="#b71c1c">n/a</text>`,
        );
        return;
      }
      const wrong = cell.status !== 'ok';
      out.push(
        `<rect x="${x + 2}" y="${y(cell.cpuUs)}" width="${barW - 4}" height="${y(0) - y(cell.cpuUs)}" fill="${COLORS[role.role]}"${wrong ? ' stroke="#b71c1c" stroke-width="2"' : ''}><title>${esc(`${v.name ?? role.label} ${w}: ${cell.cpuUs.toFixed(1)} µs`)}</title></rect>`,
        `<text x="${x + barW / 2}" y="${y(cell.cpuUs) - 4}" font-size="10" text-anchor="middle" fill="${wrong ? '#b71c1c' : '#333'}" stroke="#fff" stroke-width="3" paint-order="stroke">${wrong ? 'WRONG' : Math.round(cell.cpuUs)}</text>`,
      );
    });
    out.push(
      `<text x="${gx + groupW / 2}" y="${y(0) + 18}" font-size="12" text-anchor="middle">${esc(w)}</text>`,
    );
  });
  out.push(
    `<line x1="${PLOT.left}" x2="${WIDTH - PLOT.right}" y1="${y(0)}" y2="${y(0)}" stroke="#424242"/>`,
  );
  return out.join('\n');
}

export function renderChart(summary, meta) {
  const workloads = meta.workloads;
  const platforms = PLATFORMS.filter((p) =>
    ROLES.some((r) => variantOf(summary, p.platform, r.role)),
  );
  // The legend, laid out first: its entries wrap to a new row when they would pass the width,
  // and the panels start below its last row.
  const entries = [
    ...ROLES.map((role) => ({
      role,
      text: role.role === 'peer' ? 'peer (express-session / @fastify/session)' : role.label,
    })),
    { role: null, text: 'bare Nest (floor)' },
  ];
  const legend = [];
  let x = PLOT.left;
  let rowY = 52;
  for (const entry of entries) {
    const width = 24 + entry.text.length * 5.6 + (entry.role ? 0 : 26);
    if (x + width > WIDTH && x > PLOT.left) {
      x = PLOT.left;
      rowY += 18;
    }
    legend.push({ ...entry, x, y: rowY });
    x += width;
  }
  const top = rowY + 12;
  const height = top + 6 + platforms.length * PANEL_HEIGHT + 30;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${PLOT.left}" y="26" font-size="17" font-weight="600">CPU per request, in-process (lower is better)</text>`,
  ];
  for (const { role, text, x: at, y } of legend) {
    if (role) {
      out.push(
        `<rect x="${at}" y="${y - 10}" width="12" height="12" fill="${COLORS[role.role]}"/>`,
        `<text x="${at + 16}" y="${y}" font-size="11">${esc(text)}</text>`,
      );
    } else {
      out.push(
        `<line x1="${at}" x2="${at + 22}" y1="${y - 4}" y2="${y - 4}" stroke="#212121" stroke-width="1.5" stroke-dasharray="5 3"/>`,
        `<text x="${at + 26}" y="${y}" font-size="11">${esc(text)}</text>`,
      );
    }
  }
  platforms.forEach((p, i) => out.push(panel(summary, workloads, p, top + i * PANEL_HEIGHT)));
  out.push(
    `<text x="${PLOT.left}" y="${height - 12}" font-size="10" fill="#666">${esc(
      `Medians of ${meta.rounds} interleaved rounds × ${meta.requestsPerBatch} requests; memory stores; ~200-byte cart; Node ${meta.node}, ${meta.cpu}; ${meta.date.slice(0, 16).replace('T', ' ')} UTC. npm run bench -- --mode cpu`,
    )}</text>`,
    '</svg>',
  );
  return out.join('\n') + '\n';
}
