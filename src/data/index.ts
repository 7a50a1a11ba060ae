// Photos and data sets: decoding, transforms, augmentation, image folders, splits, PK batches.
export { type Image, MAX_IMAGE_PIXELS, imageFormat, decodeImage, loadImage, checkImage, fmtImage, imagesToTensor } from './image.js';
export {
  toGrey, toRgb, resize, crop, centerCrop, standardize, flipHorizontal, preprocess, checkPreprocess,
  type ResizeMethod, type ResizeOptions, type Preprocess,
} from './transform.js';
export { augment, type AugmentOptions } from './augment.js';
export {
  type FaceDataset, ArrayDataset, type ArrayDatasetOptions, Subset, ConcatDataset, subsetPeople, splitByPeople, splitByPhotos,
  type SplitOptions, type Split, checkDataset, groupByLabel,
} from './dataset.js';
export {
  ImageFolder, loadImageFolder, naturalCompare, PHOTO_EXTENSIONS,
  type ImageFolderOptions, type FolderItem, type SkippedFile, type CacheStats,
} from './folder.js';
export { PKSampler, type PKSamplerOptions } from './sampler.js';
export {
  makeSyntheticSet, drawFace, syntheticIdentity, syntheticVariation, syntheticPerson, SYNTHETIC_DEFAULT_DIFFICULTY,
  type SyntheticOptions, type SyntheticIdentity, type SyntheticVariation, type SyntheticOccluder,
} from './synthetic.js';
export { parsePairs, readPairs, pairPhotoPath, pairPhotos, PairListError, type PairList, type LabelledPair, type PairPhoto } from './pairs.js';
