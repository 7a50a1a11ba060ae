// The ORL protocol, short: the reference network trained on s1–s30 for a few epochs, evaluated on
// the unseen s31–s40 next to raw pixels (bench/orl.ts is the full run). Floors are set well below
// what the run reaches so that they hold on any seed; skipped when the photos are absent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ImageFolder } from '../../src/data/index.js';
import { EmbeddingNet } from '../../src/nn/index.js';
import { train } from '../../src/metric/train.js';
import { orlSplit, evaluateModel, evaluateProtocol, pixelEmbeddings, itemNames } from '../../src/metric/protocol.js';

const ORL = fileURLToPath(new URL('../../../../shared/data/faces/orl', import.meta.url));
const EPOCHS = 30;

if (!existsSync(ORL)) {
  test.skip(`ORL protocol (skipped: no photos at ${ORL}; they live in ../shared/data next to the project)`, () => {});
} else {
  test(`ORL protocol: reference net, ${EPOCHS} epochs on s1–s30, unseen s31–s40 — rank-1 ≥ 0.9, 10-fold verification ≥ 0.85, beats raw pixels`, async () => {
    const ds = new ImageFolder(ORL, { preprocess: { size: [64, 64], grey: true, standardize: true } });
    const { train: people, test: unseen, split } = orlSplit(ds, { seed: 1 });
    assert.equal([people.size, unseen.size, split.gallery.length, split.probes.length, split.pairs.a.length], [300, 100, 50, 50, 900]);
    const net = new EmbeddingNet({ seed: 1 });
    const run = await train({
      model: net, data: people, epochs: EPOCHS, seed: 1, batch: { p: 15, k: 4 },
      loss: { margin: 0.2, miner: 'hard', reduction: 'mean' },
      augment: { flip: true, shift: 3, scale: 0.08, brightness: 0.1, contrast: 0.1 },
    });
    assert.ok(run.history[EPOCHS - 1].loss < run.history[0].loss, 'the training loss went down');
    const r = evaluateModel(net, unseen, split);
    net.dispose();
    const px = evaluateProtocol(pixelEmbeddings(unseen), itemNames(unseen), split);
    const fig = `net rank-1 ${r.identification.rank1}, verification ${r.verification.accuracy.toFixed(3)}, AUC ${r.verification.auc.toFixed(3)}; `
      + `pixels ${px.identification.rank1}, ${px.verification.accuracy.toFixed(3)}, ${px.verification.auc.toFixed(3)}`;
    assert.ok(r.identification.rank1 >= 0.9, fig);
    assert.ok(r.verification.accuracy >= 0.85, fig);
    assert.ok(r.verification.auc >= 0.92, fig);
    assert.ok(r.openSet!.dir >= 0.8, fig);
    assert.ok(r.identification.rank1 >= px.identification.rank1, fig);
    assert.ok(r.verification.accuracy > px.verification.accuracy, fig);
    assert.ok(r.verification.auc > px.verification.auc, fig);
  });
}

test.run();
