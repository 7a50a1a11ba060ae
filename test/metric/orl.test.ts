// The ORL protocol, short: the reference network trained on s1–s30 for 40 epochs (semihard miner,
// strong augmentation — bench/orl.ts is the full run), evaluated on the unseen s31–s40 next to raw
// pixels. Same seed, same weights, so the figures are reproducible; the floors sit below what
// seeds 1–3 reach at this length (rank-1 0.92–0.98, verification 0.86–0.90, AUC 0.935–0.943).
// Skipped when the photos are absent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ImageFolder } from '../../src/data/index.js';
import { EmbeddingNet } from '../../src/nn/index.js';
import { train } from '../../src/metric/train.js';
import { orlSplit, evaluateModel, evaluateProtocol, pixelEmbeddings, itemNames } from '../../src/metric/protocol.js';

const ORL = fileURLToPath(new URL('../../../../shared/data/faces/orl', import.meta.url));
const EPOCHS = 40;

if (!existsSync(ORL)) {
  const why = `ORL protocol skipped: no photos at ${ORL} (they live in ../shared/data next to the project)`;
  console.log(why);
  test.skip(why, () => {});
} else {
  test(`ORL protocol: reference net, semihard margin 0.2, ${EPOCHS} epochs on s1–s30, unseen s31–s40 — rank-1 ≥ 0.9, verification ≥ 0.85, healthy, beats raw pixels`, async () => {
    const ds = new ImageFolder(ORL, { preprocess: { size: [64, 64], grey: true, standardize: true } });
    const { train: people, test: unseen, split } = orlSplit(ds, { seed: 1 });
    assert.equal([people.size, unseen.size, split.gallery.length, split.probes.length, split.pairs.a.length], [300, 100, 50, 50, 900]);
    const net = new EmbeddingNet({ seed: 1 });
    const run = await train({
      model: net, data: people, epochs: EPOCHS, seed: 1, batch: { p: 15, k: 4 },
      loss: { margin: 0.2, miner: 'semihard', reduction: 'mean' },
      augment: { flip: true, shift: 6, scale: 0.15, brightness: 0.2, contrast: 0.2 },
    });
    const last = run.history[EPOCHS - 1];
    // Healthy: the photos of different people end up far apart (a collapsed net puts every photo within ~0.05).
    assert.ok(!last.health!.collapsed && last.health!.meanNegative > 0.3, JSON.stringify(last.health));
    const r = evaluateModel(net, unseen, split);
    net.dispose();
    const px = evaluateProtocol(pixelEmbeddings(unseen), itemNames(unseen), split);
    const show = (x: typeof r) => `rank-1 ${x.identification.rank1}, verification ${x.verification.accuracy.toFixed(3)}, AUC ${x.verification.auc.toFixed(3)}, `
      + `TAR ${x.verification.tar.toFixed(3)}, D rule ${x.verification.dRule.accuracy.toFixed(3)}, DIR ${x.openSet!.dir}`;
    const fig = `net: ${show(r)}; pixels: ${show(px)}`;
    assert.ok(r.identification.rank1 >= 0.9, fig);
    assert.ok(r.verification.accuracy >= 0.85, fig);
    assert.ok(r.verification.auc >= 0.92, fig);
    assert.ok(r.openSet!.dir >= 0.8, fig);
    assert.ok(r.verification.dRule.D > 0.5, fig);
    // Raw pixels reach rank-1 0.98 here; the net is not asked to beat them on rank-1 at this length.
    assert.ok(r.identification.rank1 >= px.identification.rank1 - 0.06, fig);
    assert.ok(r.verification.accuracy > px.verification.accuracy + 0.02, fig);
    assert.ok(r.verification.auc > px.verification.auc, fig);
    assert.ok(r.verification.tar > px.verification.tar, fig);
    assert.ok(r.verification.dRule.accuracy > px.verification.dRule.accuracy, fig);
  });
}

test.run();
