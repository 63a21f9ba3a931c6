"""scratchnet: the article's small NumPy network, its data, and a recorded tape of one iteration.

Pure NumPy. It never imports Textual or Rich, so the math can be read, tested and run headless on
its own. The article's math: `layer.py`, `loss.py`, `optimizer.py`, `network.py`, `training.py`,
`data.py` (with the classification sets in `datasets.py` and one-hot labels and accuracy in `labels.py`);
past the article, each operation in its own module: `activation.py`, `softmax.py`, `momentum.py`, `adam.py`,
`decay.py` (weight decay). What the debugger needs besides (the tape, explanations, the gradient check, statistics)
is in `scratchnet.debugger`; whole epochs run on the fast path in `scratchnet.fast`, the same numbers in reused
buffers.
"""

from scratchnet.adam import Adam
from scratchnet.data import DataError, Dataset, load_csv, make_house_prices
from scratchnet.datasets import DATASET_NAMES, make_dataset
from scratchnet.debugger.tape import Phase, Tape, TapeRecorder
from scratchnet.divergence import diverged, divergence_message
from scratchnet.labels import accuracy, class_indices, one_hot
from scratchnet.layer import DenseLayer
from scratchnet.loss import MeanSquaredError
from scratchnet.momentum import Momentum
from scratchnet.network import OPTIMIZERS, DenseNetwork, Parameters, make_update_rule, phase_keys
from scratchnet.operation import FRESH, OptimizerState
from scratchnet.optimizer import GradientDescent
from scratchnet.seeding import make_rngs
from scratchnet.training import Batches, TrainingRun, run_epochs, train

__all__ = [
    "DATASET_NAMES", "FRESH", "OPTIMIZERS", "Adam", "Batches", "DataError", "Dataset", "DenseLayer", "DenseNetwork",
    "GradientDescent", "MeanSquaredError", "Momentum", "OptimizerState", "Parameters", "Phase", "Tape",
    "TapeRecorder", "TrainingRun", "accuracy", "class_indices", "diverged", "divergence_message", "load_csv",
    "make_dataset", "make_house_prices", "make_rngs", "make_update_rule", "one_hot", "phase_keys", "run_epochs",
    "train",
]
