// Plots as PNG and SVG: a raster canvas with a bitmap font, line charts, training and ROC plots.
export { Canvas, parseColor, type Color, type RGBA, type StrokeStyle, type TextStyle, type CircleStyle } from './canvas.js';
export { measureText } from './font.js';
export { lineChart, PALETTE, type ChartOptions, type LineChartOptions, type Series, type MarkerLine, type MarkedPoint, type LegendPlace, type Plot } from './chart.js';
export { niceTicks, niceLimits, logTicks, formatTick, formatLogTick } from './ticks.js';
export { trainingCurvesPlot, rocPlot, historyFromReports, type TrainingEpoch, type RocPlotOptions, type FigureOptions } from './curves.js';
export { writePlot } from './write.js';
