"""scratchnet: the article's small NumPy network, its data, and a recorded tape of one iteration.

Pure NumPy. It never imports Textual or Rich, so the math can be read, tested and
run headless on its own.
"""

from scratchnet.data import DataError, Dataset, load_csv, make_house_prices
from scratchnet.divergence import diverged, divergence_message
from scratchnet.layer import DenseLayer
from scratchnet.network import DenseNetwork
from scratchnet.seeding import make_rngs
from scratchnet.tape import Phase, Tape, TapeRecorder, phase_keys
from scratchnet.training import TrainingRun, train

__all__ = [
    "DataError", "Dataset", "DenseLayer", "DenseNetwork", "Phase", "Tape", "TapeRecorder", "TrainingRun",
    "diverged", "divergence_message", "load_csv", "make_house_prices", "make_rngs", "phase_keys", "train",
]
