// danfojs-node requires '@tensorflow/tfjs-node'; hand it the tfjs that rnnkit already loaded (one tfjs-core, one
// set of backends). tfjs-node's own native binding is never wanted here: it downloads libtensorflow at install.
module.exports = require('@tensorflow/tfjs');
