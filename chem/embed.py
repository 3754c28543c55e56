"""Embed molecules with a pre-trained GNN: SMILES in, one vector per molecule (or per atom) out.

    python -m chem.embed --model gcn_supervised_contextpred --model-dir ../shared/data/checkpoints/chem \\
        --smiles-file molecules.smi --out emb.npy

The output is row-aligned with the input: row i is the i-th molecule of the file (blank lines of a
.smi file are not rows). A molecule that cannot be embedded (RDKit cannot parse it, or an atom or bond
is outside the featuriser's vocabulary: the same rules and reasons as dataset processing) gets a row
of NaN, ``valid`` False, and a line (row, smiles, reason) in ``<out>.skipped.csv``.

Outputs: ``.npy`` (embeddings; ``<stem>.valid.npy`` beside it, and with --per-atom ``<stem>.atoms.npy``
holding (row, atom index) per embedding row), ``.npz`` (arrays embeddings, valid[, atoms]), ``.csv``
and ``.parquet`` (columns row, smiles, valid[, atom], e0...). With --per-atom an invalid molecule is
one CSV/parquet line with atom -1 and empty values. The file is read and written in chunks, so memory
stays constant however many molecules it holds; outputs appear (renamed into place) when complete.

Python: ``embed_smiles(smiles, model="gin_supervised_contextpred")`` and the scikit-learn
transformer ``PretrainedGNNEmbedder``. A graph embedding is exactly what ``GNN_graphpred`` feeds its
prediction head: the encoder's node representations (JK), pooled over each molecule.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import os
import tempfile
import zipfile
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np
import torch
from torch_geometric.nn import global_add_pool, global_max_pool, global_mean_pool
from tqdm.auto import tqdm

from chem.features import featurise_smiles
from pretrain_gnns.cli_args import ArgumentParser, prog_name
from pretrain_gnns.files import check_writable, output_lock
from pretrain_gnns.graphstore import GraphStore
from pretrain_gnns.runtime import autocast, resolve_device, resolve_precision

POOLINGS = {"mean": global_mean_pool, "sum": global_add_pool, "max": global_max_pool}
LAYERS = ("last", "concat")
OUTPUT_SUFFIXES = (".npy", ".npz", ".csv", ".parquet")
CHUNK = 4096  # molecules read, featurised and written at a time


@dataclass
class ChunkResult:
    """One chunk of molecules: ``embeddings`` (n, d) with NaN rows where ``valid`` is False (graph
    level) or (atoms, d) of the valid molecules with ``atoms`` (row within chunk, atom index)."""
    embeddings: np.ndarray
    valid: np.ndarray
    skipped: list[tuple[int, str]]
    atoms: np.ndarray | None = None


class Embedder:
    """A loaded encoder and how to read it out: pooling, layer (JK), device, precision."""

    def __init__(self, model: str | torch.nn.Module = "gin_supervised_contextpred", pooling: str | None = None,
                 layer: str = "last", batch_size: int = 512, device: str | None = "cpu", precision: str = "fp32",
                 model_dir: str | None = None, progress: bool = False) -> None:
        from chem.model import GNN, GNN_graphpred
        from pretrain_gnns.zoo import load_pretrained
        if layer not in LAYERS:
            raise ValueError(f"unknown --layer {layer!r}; one of {', '.join(LAYERS)}")
        if isinstance(model, GNN_graphpred):
            model = model.gnn
        if isinstance(model, torch.nn.Module):
            if not isinstance(model, GNN):
                raise ValueError(f"model must be a chem GNN or GNN_graphpred, not {type(model).__name__}")
            self.arch = getattr(model, "arch", {"gnn_type": model.gnn_type, "num_layer": model.num_layer,
                                                "emb_dim": model.emb_dim, "JK": model.JK, "name": "in-memory model"})
            encoder = model
        else:
            encoder = load_pretrained(model, "chem", model_dir=model_dir, progress=progress)
            self.arch = encoder.arch
        pooling = pooling or self.arch.get("graph_pooling") or "mean"
        if pooling not in POOLINGS:
            raise ValueError(f"pooling {pooling!r} cannot be read from an encoder; one of {', '.join(POOLINGS)}")
        if layer == "concat" and encoder.JK != "concat":
            # JK has no parameters: the same weights, every layer's output concatenated
            clone = GNN(encoder.num_layer, encoder.emb_dim, JK="concat", drop_ratio=0.0, gnn_type=encoder.gnn_type)
            clone.load_state_dict(encoder.state_dict(), strict=True)
            encoder = clone
        self.device = resolve_device(device)
        self.encoder = encoder.to(self.device).eval()
        self.pooling, self.layer, self.batch_size, self.precision = pooling, layer, int(batch_size), precision
        if self.batch_size < 1:
            raise ValueError("--batch-size must be at least 1")
        # auto -> fp32 or bf16; bf16 where it would be emulated (10-20x slower) is refused now, not after reading
        self.precision = resolve_precision(precision, self.device)
        self.dim = self.encoder.emb_dim * (self.encoder.num_layer + 1 if self.encoder.JK == "concat" else 1)

    @torch.no_grad()
    def node_embeddings(self, batch) -> torch.Tensor:
        batch = batch.to(self.device)
        with autocast(self.device, self.precision):
            h = self.encoder(batch.x, batch.edge_index, batch.edge_attr)
        return h.float()

    @torch.no_grad()
    def graph_embeddings(self, batch) -> torch.Tensor:
        """The pooled representation GNN_graphpred.graph_representation computes for this batch."""
        h = self.node_embeddings(batch)
        return POOLINGS[self.pooling](h, batch.batch.to(self.device), size=batch.num_graphs)

    def embed_chunk(self, smiles: Sequence[str], per_atom: bool = False) -> ChunkResult:
        return self.encode(featurise_smiles(list(smiles)), len(smiles), per_atom)

    def encode(self, feats: dict, n: int, per_atom: bool = False) -> ChunkResult:
        """Embed the output of ``featurise_smiles`` over ``n`` input rows."""
        kept = feats["kept"]
        valid = np.zeros(n, dtype=bool)
        valid[kept] = True
        store = GraphStore.from_parts(feats["nodes"], feats["bonds"], feats["bond_feats"], feats["n_counts"],
                                      feats["e_counts"], node_width=2, edge_width=2)
        parts, atom_parts = [], []
        for start in range(0, len(kept), self.batch_size):
            idx = np.arange(start, min(start + self.batch_size, len(kept)))
            batch = store.batch(idx)
            if per_atom:
                parts.append(self.node_embeddings(batch).cpu().numpy())
                counts = store.num_nodes(idx)
                atom_parts.append(np.stack([np.repeat(kept[idx], counts),
                                            np.concatenate([np.arange(c) for c in counts])], axis=1))
            else:
                parts.append(self.graph_embeddings(batch).cpu().numpy())
        if per_atom:
            emb = np.concatenate(parts) if parts else np.zeros((0, self.dim), np.float32)
            atoms = np.concatenate(atom_parts).astype(np.int64) if atom_parts else np.zeros((0, 2), np.int64)
            return ChunkResult(emb.astype(np.float32, copy=False), valid, feats["skipped"], atoms)
        out = np.full((n, self.dim), np.nan, dtype=np.float32)
        if parts:
            out[kept] = np.concatenate(parts)
        return ChunkResult(out, valid, feats["skipped"])


def embed_smiles(smiles: Sequence[str], model: str | torch.nn.Module = "gin_supervised_contextpred",
                 pooling: str | None = None, layer: str = "last", batch_size: int = 512, device: str | None = "cpu",
                 precision: str = "fp32", model_dir: str | None = None) -> np.ndarray:
    """(len(smiles), d) float32 graph embeddings, row-aligned; NaN rows for molecules that cannot be
    embedded (``featurise_smiles`` gives the reasons; the CLI writes them to <out>.skipped.csv)."""
    embedder = Embedder(model, pooling, layer, batch_size, device, precision, model_dir)
    parts = [embedder.embed_chunk(smiles[i:i + CHUNK]).embeddings for i in range(0, len(smiles), CHUNK)]
    return np.concatenate(parts) if parts else np.zeros((0, embedder.dim), np.float32)


def _as_smiles_list(X) -> list[str]:
    if hasattr(X, "to_numpy"):  # pandas Series or one-column DataFrame
        X = X.to_numpy()
    arr = np.asarray(X, dtype=object)
    if arr.ndim == 2:
        if arr.shape[1] != 1:
            raise ValueError(f"expected one column of SMILES, got {arr.shape[1]} columns")
        arr = arr[:, 0]
    return ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in arr.reshape(-1)]


try:
    from sklearn.base import BaseEstimator, TransformerMixin
except ImportError:  # scikit-learn is a requirement; this only keeps the module importable without it
    BaseEstimator, TransformerMixin = object, object


class PretrainedGNNEmbedder(TransformerMixin, BaseEstimator):
    """scikit-learn transformer: SMILES (a list, a 1-d array or a one-column frame) -> GNN embeddings.

    ``fit`` loads the model (nothing is learned); ``transform`` embeds. ``invalid``: what to do with a
    SMILES that cannot be embedded: 'raise' (default: an error listing the rows and reasons), 'nan'
    (a NaN row) or 'zero' (a zero row)."""

    def __init__(self, model: str = "gin_supervised_contextpred", pooling: str | None = None, layer: str = "last",
                 batch_size: int = 512, device: str = "cpu", precision: str = "fp32", model_dir: str | None = None,
                 invalid: str = "raise") -> None:
        self.model, self.pooling, self.layer, self.batch_size = model, pooling, layer, batch_size
        self.device, self.precision, self.model_dir, self.invalid = device, precision, model_dir, invalid

    def fit(self, X=None, y=None):
        if self.invalid not in ("raise", "nan", "zero"):
            raise ValueError(f"invalid={self.invalid!r}; one of raise, nan, zero")
        self.embedder_ = Embedder(self.model, self.pooling, self.layer, self.batch_size, self.device,
                                  self.precision, self.model_dir)
        self.n_features_out_ = self.embedder_.dim
        return self

    def transform(self, X) -> np.ndarray:
        if not hasattr(self, "embedder_"):
            from sklearn.exceptions import NotFittedError
            raise NotFittedError("PretrainedGNNEmbedder is not fitted yet: call fit first")
        smiles = _as_smiles_list(X)
        outs, skipped = [], []
        for i in range(0, len(smiles), CHUNK):
            res = self.embedder_.embed_chunk(smiles[i:i + CHUNK])
            outs.append(res.embeddings)
            skipped += [(i + pos, why) for pos, why in res.skipped]
        emb = np.concatenate(outs) if outs else np.zeros((0, self.n_features_out_), np.float32)
        if skipped and self.invalid == "raise":
            shown = "; ".join(f"row {r} {smiles[r]!r}: {why}" for r, why in skipped[:5])
            raise ValueError(f"{len(skipped)} of {len(smiles)} SMILES cannot be embedded ({shown}"
                             f"{'; ...' if len(skipped) > 5 else ''}); pass invalid='nan' or 'zero' to keep going")
        if self.invalid == "zero":
            emb[np.isnan(emb).any(axis=1)] = 0.0
        return emb

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        if not hasattr(self, "n_features_out_"):
            from sklearn.exceptions import NotFittedError
            raise NotFittedError("PretrainedGNNEmbedder is not fitted yet: call fit first")
        return np.asarray([f"gnn{i}" for i in range(self.n_features_out_)], dtype=object)


# ---------------------------------------------------------------------------------------------- input
def read_smiles_chunks(path: str, smiles_column: str | None = None, chunk: int = CHUNK) -> Iterator[list[str]]:
    """The SMILES of a .smi (first field of each non-blank line) or .csv file (gzipped or not), in chunks.
    A file with no molecule at all (empty, a header only, blank lines) and a truncated or damaged
    gzip are ValueErrors naming the file, whichever the format."""
    import zlib
    if not os.path.isfile(path):
        raise FileNotFoundError(f"SMILES file not found: {path}")
    if os.path.getsize(path) == 0:
        raise ValueError(f"{path}: the file is empty (no molecules)")
    rows = 0
    try:
        for block in _smiles_chunks(path, smiles_column, chunk):
            if not block:
                continue  # pandas yields one empty frame for a header-only CSV
            rows += len(block)
            yield block
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise ValueError(f"{path}: the compressed file is truncated or damaged after {rows} molecules ({err}); "
                         "download or copy it again") from None
    if rows == 0:
        raise ValueError(f"{path}: no molecules in the file (a header or blank lines only)")


def _smiles_chunks(path: str, smiles_column: str | None, chunk: int) -> Iterator[list[str]]:
    from chem.pretrain_data import is_smi_file, sniff_smiles_column
    if is_smi_file(path):
        opener = gzip.open if path.endswith(".gz") else open
        buf: list[str] = []
        with opener(path, "rt") as f:
            for line in f:
                fields = line.split()
                if not fields:
                    continue
                buf.append(fields[0])
                if len(buf) == chunk:
                    yield buf
                    buf = []
        if buf:
            yield buf
        return
    import pandas as pd
    column, header = sniff_smiles_column(path, smiles_column)
    reader = pd.read_csv(path, header=0 if header else None, dtype=str, chunksize=chunk, keep_default_na=False,
                         usecols=[column] if header else [int(column)])
    for frame in reader:
        yield frame.iloc[:, 0].fillna("").astype(str).tolist()


# --------------------------------------------------------------------------------------------- output
class NpyStream:
    """A .npy file written row block by row block: a fixed-size header, patched with the row count
    at the end, so nothing needs holding in memory and no row count is needed up front."""

    HEADER = 128  # bytes before the data (magic, version, length, padded dict): a multiple of 64

    def __init__(self, path: str, width: int, dtype) -> None:
        self.path, self.width, self.dtype, self.rows = path, int(width), np.dtype(dtype), 0
        self.f = open(path, "wb")
        self.f.write(b"\0" * self.HEADER)

    def write(self, block: np.ndarray) -> None:
        block = np.ascontiguousarray(block, dtype=self.dtype)
        self.f.write(block.reshape(len(block), -1).tobytes() if self.width else block.tobytes())
        self.rows += len(block)

    def close(self) -> None:
        shape = (self.rows, self.width) if self.width else (self.rows,)
        text = "{'descr': %r, 'fortran_order': False, 'shape': %r, }" % (self.dtype.str, shape)
        body = text.ljust(self.HEADER - 10 - 1) + "\n"
        self.f.seek(0)
        self.f.write(b"\x93NUMPY\x01\x00" + len(body).to_bytes(2, "little") + body.encode("latin1"))
        self.f.close()


class _Outputs:
    """Writes the chosen format chunk by chunk to temporary files; ``finish`` renames them into place."""

    def __init__(self, out: str, dim: int, per_atom: bool) -> None:
        self.out, self.dim, self.per_atom = out, dim, per_atom
        self.kind = next((s for s in OUTPUT_SUFFIXES if out.lower().endswith(s)), None)
        if self.kind is None:
            raise ValueError(f"--out {out!r}: the suffix must be one of {', '.join(OUTPUT_SUFFIXES)}")
        if self.kind == ".parquet":
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                raise ValueError("--out .parquet needs pyarrow (pip install pyarrow, or pip install "
                                 "'pretrain-gnns[parquet]'); or write .npy, .npz or .csv") from None
        folder = os.path.dirname(os.path.abspath(out))
        os.makedirs(folder, exist_ok=True)
        self.tmpdir = tempfile.mkdtemp(prefix=".embed_", dir=folder)
        self.stem = out[: -len(self.kind)]
        self.skipped_path = out + ".skipped.csv"
        self.skipped_f = open(os.path.join(self.tmpdir, "skipped.csv"), "w", newline="")
        self.skipped_w = csv.writer(self.skipped_f)
        self.skipped_w.writerow(["row", "smiles", "reason"])
        self.rows = self.n_skipped = 0
        t = os.path.join
        if self.kind in (".npy", ".npz"):
            self.emb = NpyStream(t(self.tmpdir, "embeddings.npy"), dim, np.float32)
            self.valid = NpyStream(t(self.tmpdir, "valid.npy"), 0, np.bool_)
            self.atoms = NpyStream(t(self.tmpdir, "atoms.npy"), 2, np.int64) if per_atom else None
        elif self.kind == ".csv":
            self.table_f = open(t(self.tmpdir, "table.csv"), "w", newline="")
            self.table_w = csv.writer(self.table_f)
            self.table_w.writerow(self._columns())
        else:
            self.parquet = None

    def _columns(self) -> list[str]:
        return ["row", "smiles", "valid"] + (["atom"] if self.per_atom else []) + [f"e{i}" for i in range(self.dim)]

    def write(self, smiles: list[str], res: ChunkResult) -> None:
        base = self.rows
        for pos, why in res.skipped:
            self.skipped_w.writerow([base + pos, smiles[pos], why])
        self.n_skipped += len(res.skipped)
        if self.kind in (".npy", ".npz"):
            self.emb.write(res.embeddings)
            self.valid.write(res.valid)
            if self.atoms is not None:
                self.atoms.write(res.atoms + np.array([base, 0]))
        else:
            rows = self._table_rows(smiles, res, base)
            if self.kind == ".csv":
                self.table_w.writerows([[r, s, int(v), *rest[:-1], *("" if np.isnan(x) else "%.9g" % x
                                                                    for x in rest[-1])]
                                        for r, s, v, *rest in rows])
            else:
                self._write_parquet(rows)
        self.rows += len(smiles)

    def _table_rows(self, smiles, res, base):
        """(row, smiles, valid, [atom,] values) per output line, in input order."""
        if not self.per_atom:
            return [(base + i, s, bool(res.valid[i]), res.embeddings[i]) for i, s in enumerate(smiles)]
        nan = np.full(self.dim, np.nan, np.float32)
        by_row: dict[int, list[int]] = {}
        for k, (r, _) in enumerate(res.atoms):
            by_row.setdefault(int(r), []).append(k)
        lines = []
        for i, s in enumerate(smiles):
            if not res.valid[i]:
                lines.append((base + i, s, False, -1, nan))
            for k in by_row.get(i, ()):
                lines.append((base + i, s, True, int(res.atoms[k, 1]), res.embeddings[k]))
        return lines

    def _write_parquet(self, rows) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq
        cols = self._columns()
        n_meta = len(cols) - self.dim
        values = np.stack([r[-1] for r in rows]) if rows else np.zeros((0, self.dim), np.float32)
        data = {c: [r[j] for r in rows] for j, c in enumerate(cols[:n_meta])}
        data.update({f"e{i}": values[:, i] for i in range(self.dim)})
        table = pa.table(data)
        if self.parquet is None:
            self.parquet = pq.ParquetWriter(os.path.join(self.tmpdir, "table.parquet"), table.schema)
        self.parquet.write_table(table)

    def finish(self) -> list[str]:
        """Close everything and rename it into place; returns the paths written."""
        self.skipped_f.close()
        t = os.path.join
        written = []
        if self.kind == ".npy":
            for stream, dest in ((self.emb, self.out), (self.valid, self.stem + ".valid.npy"),
                                 (self.atoms, self.stem + ".atoms.npy")):
                if stream is not None:
                    stream.close()
                    os.replace(stream.path, dest)
                    written.append(dest)
                elif os.path.exists(dest):
                    os.remove(dest)  # an earlier --per-atom run's atoms.npy would not describe this output
        elif self.kind == ".npz":
            zpath = t(self.tmpdir, "out.npz")
            with zipfile.ZipFile(zpath, "w", zipfile.ZIP_STORED, allowZip64=True) as z:
                for stream in (self.emb, self.valid, self.atoms):
                    if stream is not None:
                        stream.close()
                        z.write(stream.path, os.path.basename(stream.path))
            os.replace(zpath, self.out)
            written.append(self.out)
        elif self.kind == ".csv":
            self.table_f.close()
            os.replace(t(self.tmpdir, "table.csv"), self.out)
            written.append(self.out)
        else:
            if self.parquet is None:
                self._write_parquet([])
            self.parquet.close()
            os.replace(t(self.tmpdir, "table.parquet"), self.out)
            written.append(self.out)
        os.replace(t(self.tmpdir, "skipped.csv"), self.skipped_path)
        written.append(self.skipped_path)
        self.cleanup()
        return written

    def cleanup(self) -> None:
        import shutil
        for f in ("skipped_f", "table_f"):
            if hasattr(self, f):
                getattr(self, f).close()
        shutil.rmtree(self.tmpdir, ignore_errors=True)


def featurised_chunks(chunks: Iterator[list[str]], workers: int) -> Iterator[tuple[list[str], dict]]:
    """(smiles, featurise_smiles(smiles)) per chunk, in order. With workers > 0, chunks are featurised
    in worker processes while this one encodes: at most workers + 1 chunks are in flight, so memory
    stays bounded."""
    if workers <= 0:
        for smiles in chunks:
            yield smiles, featurise_smiles(smiles)
        return
    from collections import deque

    from pretrain_gnns.workers import worker_pool
    pool = worker_pool(workers)
    try:
        pending: deque = deque()
        for smiles in chunks:
            pending.append((smiles, pool.submit(featurise_smiles, smiles)))
            if len(pending) > workers:
                head, fut = pending.popleft()
                yield head, fut.result()
        while pending:
            head, fut = pending.popleft()
            yield head, fut.result()
    except BaseException:
        # An error, a closed generator or SIGTERM: drop the queued chunks instead of featurising them first.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


def output_paths(out: str, per_atom: bool) -> list[str]:
    """Every file ``embed_file`` writes for ``out``."""
    kind = next((s for s in OUTPUT_SUFFIXES if out.lower().endswith(s)), "")
    stem = out[: -len(kind)] if kind else out
    extra = [stem + ".valid.npy"] + ([stem + ".atoms.npy"] if per_atom else []) if kind == ".npy" else []
    return [out, *extra, out + ".skipped.csv"]


def embed_file(smiles_file: str, out: str, embedder: Embedder, smiles_column: str | None = None,
               per_atom: bool = False, progress: bool = True, chunk: int = CHUNK, workers: int = 0) -> dict:
    """Embed every molecule of ``smiles_file`` into ``out``, streamed; returns counts and paths.
    ``workers``: featurising processes running ahead of the encoder (0: featurise in this process).
    The destinations are checked first (not after embedding everything) and locked while written."""
    for path in output_paths(out, per_atom):
        check_writable(path, "--out")
    with output_lock(out, "--out"):
        return _embed_file(smiles_file, out, embedder, smiles_column, per_atom, progress, chunk, workers)


def _embed_file(smiles_file: str, out: str, embedder: Embedder, smiles_column: str | None,
                per_atom: bool, progress: bool, chunk: int, workers: int) -> dict:
    outputs = _Outputs(out, embedder.dim, per_atom)
    try:
        with tqdm(desc="embed", unit="mol", disable=not progress) as bar:
            for smiles, feats in featurised_chunks(read_smiles_chunks(smiles_file, smiles_column, chunk), workers):
                outputs.write(smiles, embedder.encode(feats, len(smiles), per_atom))
                bar.update(len(smiles))
        written = outputs.finish()
    except BaseException:
        outputs.cleanup()
        raise
    return {"rows": outputs.rows, "valid": outputs.rows - outputs.n_skipped, "skipped": outputs.n_skipped,
            "dim": embedder.dim, "files": written}


def add_smiles_input_args(p: argparse.ArgumentParser) -> None:
    """The input flags of every command that reads molecules with ``read_smiles_chunks``."""
    p.add_argument("--smiles-file", dest="smiles_file", required=True,
                   help=".smi (SMILES first on each line) or .csv (a SMILES column), gzipped or not")
    p.add_argument("--smiles-column", dest="smiles_column", default=None,
                   help="the SMILES column of a CSV (default: the one named smiles or SMILES, else the first)")


def build_parser() -> argparse.ArgumentParser:
    from pretrain_gnns.cli_args import add_precision_arg
    from pretrain_gnns.zoo import add_model_dir_arg
    p = ArgumentParser(prog=prog_name("python -m chem.embed"), description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="a zoo name (python -m pretrain_gnns.zoo list) or a checkpoint file")
    add_smiles_input_args(p)
    p.add_argument("--out", required=True, help="output file: .npy, .npz, .csv or .parquet (parquet needs pyarrow)")
    p.add_argument("--pooling", choices=list(POOLINGS), default=None,
                   help="how atom vectors become a molecule vector (default: the model's, else mean)")
    p.add_argument("--layer", choices=list(LAYERS), default="last",
                   help="last: the last layer's output; concat: every layer's (JK concat, (layers + 1) x emb_dim)")
    p.add_argument("--per-atom", dest="per_atom", action="store_true",
                   help="one vector per atom instead of per molecule, with (row, atom index)")
    p.add_argument("--batch-size", dest="batch_size", type=int, default=512, help="molecules per forward pass")
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    p.add_argument("--workers", type=int, default=1,
                   help="processes featurising the next chunks while this one encodes (0: none)")
    add_precision_arg(p)  # bf16 vectors differ from fp32's by a few percent (relative L2 about 3% for the released GCN)
    add_model_dir_arg(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def main(argv: list[str] | None = None) -> dict:
    args = build_parser().parse_args(argv)
    for path in output_paths(args.out, args.per_atom):
        check_writable(path, "--out")  # before loading a model or reading any molecule
    embedder = Embedder(args.model, args.pooling, args.layer, args.batch_size, args.device, args.precision,
                        args.model_dir, progress=not args.quiet)
    if args.workers < 0:
        raise ValueError("--workers must be 0 or more")
    result = embed_file(args.smiles_file, args.out, embedder, args.smiles_column, args.per_atom, not args.quiet,
                        workers=args.workers)
    print(f"[embed] {result['rows']} rows ({result['valid']} embedded, {result['skipped']} skipped: see "
          f"{args.out}.skipped.csv), {result['dim']} dimensions, model {embedder.arch.get('name')} "
          f"({embedder.arch['gnn_type']}, pooling {embedder.pooling}, layer {embedder.layer}) -> {args.out}",
          flush=True)
    return result


if __name__ == "__main__":
    from pretrain_gnns.cli_args import run_main
    run_main(main)
