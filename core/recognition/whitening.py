"""Within-dog whitening of embeddings: a linear map, fitted after training on the TRAINING dogs' embeddings
(scikit-learn's shrinkage LDA), that shrinks the directions in which photos of one dog vary (light, angle, focus)
relative to those in which dogs differ. Cosine similarity is then taken in the whitened space.

Stored beside the weights as an .npz (the matrix) and named in the engine's JSON; fit_engine_config keeps it
only if it raises rank-1 and TAR@FAR1e-3 on the tune dogs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.recognition.base import l2_normalize

SHRINKAGES = (0.1, 0.3, 0.5)


class Whitening:
    def __init__(self, matrix: np.ndarray):
        self.matrix = np.asarray(matrix, np.float32)

    @classmethod
    def fit(cls, emb: np.ndarray, owner: np.ndarray, shrinkage: float) -> Whitening:
        from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

        lda = LinearDiscriminantAnalysis(solver="eigen", shrinkage=shrinkage)
        lda.fit(emb.astype(np.float64), owner)
        keep = min(emb.shape[1], len(np.unique(owner)) - 1)
        return cls(lda.scalings_[:, :keep])  # LDA.transform with the eigen solver: x @ scalings_

    def __call__(self, emb: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(l2_normalize(emb @ self.matrix), dtype=np.float32)

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[1])

    def save(self, path: Path) -> None:
        with open(path, "wb") as f:  # a file object: np.savez would append .npz to the name
            np.savez(f, matrix=self.matrix)

    @classmethod
    def load(cls, path: Path) -> Whitening:
        with np.load(path) as z:
            return cls(z["matrix"])
