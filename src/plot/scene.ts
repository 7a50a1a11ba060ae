// A chart as a list of drawing items in pixel coordinates, drawn by the raster canvas (PNG) and
// written as SVG from the same list, so both files show the same chart.
import { Canvas, type Color } from './canvas.js';

export interface Rect { x: number; y: number; w: number; h: number }

export type Item =
  | { kind: 'rect'; x: number; y: number; w: number; h: number; fill?: Color; stroke?: Color; width?: number }
  /** A polyline, flat [x0, y0, x1, y1, …]; NaN coordinates break it. */
  | { kind: 'path'; xy: number[]; color: Color; width: number; dash?: number[]; clip?: Rect }
  | { kind: 'circle'; cx: number; cy: number; r: number; fill?: Color; stroke?: Color; width?: number; clip?: Rect }
  | { kind: 'text'; x: number; y: number; text: string; color: Color; scale: number; align: 'start' | 'middle' | 'end'; baseline: 'top' | 'middle' | 'bottom'; rotate: 0 | -90; bold?: boolean };

export interface Scene { width: number; height: number; background: Color; items: Item[] }

/** Draws a scene on a new canvas. */
export function rasterize(scene: Scene): Canvas {
  const cv = new Canvas(scene.width, scene.height, scene.background);
  for (const it of scene.items) {
    switch (it.kind) {
      case 'rect':
        if (it.fill !== undefined) cv.fillRect(it.x, it.y, it.w, it.h, it.fill);
        if (it.stroke !== undefined) {
          const { x, y, w, h } = it;
          cv.polyline([x, y, x + w, y, x + w, y + h, x, y + h, x, y], { color: it.stroke, width: it.width ?? 1 });
        }
        break;
      case 'path':
        if (it.clip) cv.setClip(it.clip.x, it.clip.y, it.clip.w, it.clip.h);
        cv.polyline(it.xy, { color: it.color, width: it.width, dash: it.dash });
        cv.setClip();
        break;
      case 'circle':
        if (it.clip) cv.setClip(it.clip.x, it.clip.y, it.clip.w, it.clip.h);
        cv.circle(it.cx, it.cy, it.r, { fill: it.fill, stroke: it.stroke, width: it.width });
        cv.setClip();
        break;
      case 'text': {
        const style = { color: it.color, scale: it.scale, align: it.align, baseline: it.baseline, rotate: it.rotate };
        cv.text(it.x, it.y, it.text, style);
        // Bold: the same text again one pixel along the reading direction.
        if (it.bold) cv.text(it.rotate ? it.x : it.x + 1, it.rotate ? it.y - 1 : it.y, it.text, style);
        break;
      }
    }
  }
  return cv;
}
