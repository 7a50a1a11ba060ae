// SVG output of a scene: paths as <polyline>, text as <text> (monospace, sized so that a character
// advances 6·scale pixels and capitals stand 7·scale tall, like the bitmap font), escaped.
import { hexColor, parseColor, type Color } from './canvas.js';
import type { Item, Rect, Scene } from './scene.js';

/** Escapes text for SVG/XML content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A coordinate with at most two decimals, no trailing zeros, never '-0'. */
function num(v: number): string {
  const r = Math.round(v * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

function paint(attr: string, c: Color): string {
  const rgba = parseColor(c, 'svg');
  const op = rgba[3] === 255 ? '' : ` ${attr}-opacity="${num(rgba[3] / 255)}"`;
  return `${attr}="${hexColor(rgba)}"${op}`;
}

const FONT = 'DejaVu Sans Mono, Menlo, Consolas, monospace';

/** Writes a scene as a standalone SVG document. */
export function toSVG(scene: Scene): string {
  const clips = new Map<string, string>();
  const clipId = (r: Rect): string => {
    const key = [r.x, r.y, r.w, r.h].map(num).join(' ');
    if (!clips.has(key)) clips.set(key, `clip${clips.size}`);
    return clips.get(key)!;
  };
  const body: string[] = [];
  for (const it of scene.items) body.push(...item(it, clipId));
  const defs = [...clips].map(([key, id]) => {
    const [x, y, w, h] = key.split(' ');
    return `<clipPath id="${id}"><rect x="${x}" y="${y}" width="${w}" height="${h}"/></clipPath>`;
  });
  const { width: W, height: H } = scene;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`,
    ...(defs.length ? ['<defs>', ...defs, '</defs>'] : []),
    `<rect x="0" y="0" width="${W}" height="${H}" ${paint('fill', scene.background)}/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

function item(it: Item, clipId: (r: Rect) => string): string[] {
  switch (it.kind) {
    case 'rect': {
      const fill = it.fill !== undefined ? paint('fill', it.fill) : 'fill="none"';
      const stroke = it.stroke !== undefined ? ` ${paint('stroke', it.stroke)} stroke-width="${num(it.width ?? 1)}"` : '';
      return [`<rect x="${num(it.x)}" y="${num(it.y)}" width="${num(it.w)}" height="${num(it.h)}" ${fill}${stroke}/>`];
    }
    case 'path': {
      const clip = it.clip ? ` clip-path="url(#${clipId(it.clip)})"` : '';
      const dash = it.dash?.length ? ` stroke-dasharray="${it.dash.map(num).join(' ')}"` : '';
      const out: string[] = [];
      for (const run of runs(it.xy)) {
        if (run.length === 2) {
          out.push(`<circle cx="${num(run[0])}" cy="${num(run[1])}" r="${num(it.width / 2)}" ${paint('fill', it.color)}${clip}/>`);
          continue;
        }
        const pts: string[] = [];
        for (let i = 0; i < run.length; i += 2) pts.push(`${num(run[i])},${num(run[i + 1])}`);
        out.push(`<polyline points="${pts.join(' ')}" fill="none" ${paint('stroke', it.color)} stroke-width="${num(it.width)}" stroke-linejoin="round" stroke-linecap="round"${dash}${clip}/>`);
      }
      return out;
    }
    case 'circle': {
      const clip = it.clip ? ` clip-path="url(#${clipId(it.clip)})"` : '';
      const fill = it.fill !== undefined ? paint('fill', it.fill) : 'fill="none"';
      const stroke = it.stroke !== undefined ? ` ${paint('stroke', it.stroke)} stroke-width="${num(it.width ?? 1)}"` : '';
      return [`<circle cx="${num(it.cx)}" cy="${num(it.cy)}" r="${num(it.r)}" ${fill}${stroke}${clip}/>`];
    }
    case 'text': {
      const s = it.scale;
      // SVG places text on its baseline; the bitmap font's capitals stand 7·scale above it.
      const off = it.baseline === 'top' ? 7 * s : it.baseline === 'middle' ? 3.5 * s : 0;
      const anchor = it.align === 'start' ? '' : ` text-anchor="${it.align}"`;
      const rot = it.rotate ? ` transform="rotate(-90 ${num(it.x)} ${num(it.y)})"` : '';
      const bold = it.bold ? ' font-weight="bold"' : '';
      return [`<text x="${num(it.x)}" y="${num(it.y + off)}" font-family="${FONT}" font-size="${num(10 * s)}"${anchor}${bold} ${paint('fill', it.color)}${rot} xml:space="preserve">${escapeXml(it.text)}</text>`];
    }
  }
}

/** Splits flat xy at non-finite coordinates into runs. */
function runs(xy: number[]): number[][] {
  const out: number[][] = [];
  let cur: number[] = [];
  for (let i = 0; i < xy.length; i += 2) {
    if (Number.isFinite(xy[i]) && Number.isFinite(xy[i + 1])) cur.push(xy[i], xy[i + 1]);
    else if (cur.length) { out.push(cur); cur = []; }
  }
  if (cur.length) out.push(cur);
  return out;
}
