import numpy as np
import pytest

from facemimic.analysis.aus import decode_aus
from facemimic.errors import ShapeError
from facemimic.emotions.facs import N_AU, au_position, au_to_x


def test_recovers_sparse_aus_exactly_enough():
    rng = np.random.default_rng(0)
    a = np.zeros((200, N_AU, 2), np.float32)
    for k in range(200):
        for au in rng.choice([1, 2, 4, 5, 6, 12, 15, 20, 24, 26, 43], 3, replace=False):
            a[k, au_position(int(au))] = rng.uniform(0.2, 0.8)
    got = decode_aus(au_to_x(a))
    assert np.abs(got - a).mean() < 0.02
    assert np.corrcoef(got.ravel(), a.ravel())[0, 1] > 0.97


def test_gaps_and_shapes():
    x = np.zeros((3, 90), np.float32)
    x[1] = np.nan
    out = decode_aus(x)
    assert out.shape == (3, N_AU, 2) and np.isnan(out[1]).all() and np.allclose(out[0], 0)
    with pytest.raises(ShapeError):
        decode_aus(np.zeros((2, 88)))
