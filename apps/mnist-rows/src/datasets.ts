/** The two datasets the app reads and their class names (no Node APIs: the predictor uses these too). */

export const DATASETS = ['mnist', 'fashion-mnist'] as const;
export type DatasetName = (typeof DATASETS)[number];

export const CLASS_NAMES: Record<DatasetName, readonly string[]> = {
  mnist: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  'fashion-mnist': ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
};
