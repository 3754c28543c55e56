"""chem.embed: embeddings equal GNN_graphpred's pooled representation, outputs stay row-aligned with
the input (skipped rows marked, with reasons), streaming in chunks changes nothing, and the
scikit-learn transformer works inside a Pipeline."""
from __future__ import annotations

import csv
import gzip
import os

import numpy as np
import pytest
import torch

from chem.embed import Embedder, NpyStream, PretrainedGNNEmbedder, embed_file, embed_smiles, main
from chem.features import featurise_smiles

# real molecules; row 1 does not parse, row 3 is empty, row 4 has a dummy atom, row 6 a DATIVE bond
ROWS = ["CCO", "C1CC", "c1ccccc1O", "", "C*C", "CC(=O)Nc1ccc(O)cc1", "[NH3]->[Cu+2]", "CN1C=NC2=C1C(=O)N(C(=O)N2C)C"]
INVALID = {1, 3, 4, 6}


@pytest.fixture(scope="module")
def gcn_file(checkpoints) -> str:
    return os.path.join(checkpoints, "chem", "gcn_supervised_contextpred.pth")


@pytest.fixture(scope="module")
def chembl():
    from chem.loader import load_dataset
    return load_dataset("chembl2321810", verbose=False)


@pytest.mark.parametrize("gnn_type,pooling", [("gcn", "mean"), ("gin", "sum"), ("graphsage", "max")])
def test_embedding_is_what_graphpred_feeds_its_head(chembl, checkpoints, gnn_type, pooling):
    from chem.model import GNN_graphpred
    torch.manual_seed(0)
    model = GNN_graphpred(5, 300, 1, graph_pooling=pooling, gnn_type=gnn_type)
    if gnn_type != "gin":  # released weights where there are local files; a seeded random GIN otherwise
        model.from_pretrained(os.path.join(checkpoints, "chem", f"{gnn_type}_supervised_contextpred.pth"))
    model.eval()
    subset = chembl[np.arange(0, 1000, 8)]  # 125 molecules, both classes
    with torch.no_grad():
        reference = model.graph_representation(subset.batch()).numpy()
    got = embed_smiles(subset.smiles_list, model=model, pooling=pooling)
    assert got.shape == (125, 300) and np.isfinite(got).all()
    np.testing.assert_array_equal(got, reference)  # same graphs, same batch: bit for bit
    with torch.no_grad():  # and the head applied to it gives the model's logits
        logits = model(subset.batch()).numpy()
    np.testing.assert_allclose(got @ model.graph_pred_linear.weight.detach().numpy().T
                               + model.graph_pred_linear.bias.detach().numpy(), logits, rtol=1e-4, atol=1e-5)


def test_rows_align_and_skips_are_reported(gcn_file, tmp_path):
    src = tmp_path / "mols.csv"
    with open(src, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "SMILES"])
        w.writerows([[i, s] for i, s in enumerate(ROWS)])
    reference = embed_smiles([s for i, s in enumerate(ROWS) if i not in INVALID], model=gcn_file)
    for suffix in (".npy", ".npz", ".csv"):
        out = str(tmp_path / f"emb{suffix}")
        result = main(["--model", gcn_file, "--smiles-file", str(src), "--out", out, "--quiet"])
        assert (result["rows"], result["skipped"]) == (len(ROWS), len(INVALID))
        if suffix == ".npy":
            emb, valid = np.load(out), np.load(str(tmp_path / "emb.valid.npy"))
        elif suffix == ".npz":
            z = np.load(out)
            emb, valid = z["embeddings"], z["valid"]
        else:
            with open(out, newline="") as f:
                table = list(csv.DictReader(f))
            assert [r["smiles"] for r in table] == ROWS and [int(r["row"]) for r in table] == list(range(len(ROWS)))
            valid = np.array([r["valid"] == "1" for r in table])
            emb = np.array([[float(r[f"e{i}"]) if r[f"e{i}"] else np.nan for i in range(300)] for r in table])
        assert emb.shape == (len(ROWS), 300)
        assert set(np.flatnonzero(~valid)) == INVALID and np.isnan(emb[~valid]).all()
        np.testing.assert_allclose(emb[valid], reference, rtol=1e-6, atol=1e-7)
        with open(out + ".skipped.csv", newline="") as f:
            skipped = list(csv.DictReader(f))
        # the reasons dataset processing gives (featurise_smiles), with the input's row numbers
        expected = featurise_smiles(ROWS)["skipped"]
        assert [(int(r["row"]), r["smiles"], r["reason"]) for r in skipped] == [(p, ROWS[p], why) for p, why in expected]
        assert "outside the vocabulary" in skipped[2]["reason"] and skipped[0]["reason"] == "RDKit cannot parse the SMILES"
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".")]  # no temporary files left


def test_streaming_in_chunks_changes_nothing(gcn_file, tmp_path):
    src = tmp_path / "mols.smi.gz"
    with gzip.open(src, "wt") as f:
        f.write("\n".join(f"{s or '[invalid'} id{i}" for i, s in enumerate(ROWS * 3)) + "\n\n")
    embedder = Embedder(gcn_file)
    whole = embed_file(str(src), str(tmp_path / "a.npz"), embedder, per_atom=True, progress=False)
    # small chunks, featurised by a worker process ahead of the encoder
    small = embed_file(str(src), str(tmp_path / "b.npz"), embedder, per_atom=True, progress=False, chunk=3, workers=1)
    assert whole["rows"] == small["rows"] == 24 and whole["skipped"] == 12
    a, b = np.load(tmp_path / "a.npz"), np.load(tmp_path / "b.npz")
    for key in ("valid", "atoms"):
        np.testing.assert_array_equal(a[key], b[key])
    # the same molecules in other batches: the same vectors up to the matmul's summation order
    np.testing.assert_allclose(a["embeddings"], b["embeddings"], rtol=1e-4, atol=1e-5)
    atoms = a["atoms"]  # (row, atom index) per vector: every atom of every valid molecule, in order
    n_atoms = [len(featurise_smiles([s])["nodes"]) // 2 for s in (ROWS * 3)]
    assert len(atoms) == sum(n for i, n in enumerate(n_atoms) if a["valid"][i])
    rows, counts = np.unique(atoms[:, 0], return_counts=True)
    assert list(rows) == list(np.flatnonzero(a["valid"])) and list(counts) == [n_atoms[r] for r in rows]
    graph = embed_smiles(["CC(=O)Nc1ccc(O)cc1"], model=gcn_file)
    np.testing.assert_allclose(a["embeddings"][atoms[:, 0] == 5].mean(0), graph[0], rtol=1e-5, atol=1e-6)


def test_layer_concat_and_npy_stream(gcn_file, tmp_path):
    concat = embed_smiles(["CCO", "c1ccccc1"], model=gcn_file, layer="concat")
    last = embed_smiles(["CCO", "c1ccccc1"], model=gcn_file)
    assert concat.shape == (2, 6 * 300)
    np.testing.assert_allclose(concat[:, -300:], last, rtol=1e-6, atol=1e-7)  # the last layer is the last block
    s = NpyStream(str(tmp_path / "x.npy"), 3, np.float32)
    for block in (np.arange(6).reshape(2, 3), np.arange(3).reshape(1, 3)):
        s.write(block)
    s.close()
    loaded = np.load(tmp_path / "x.npy", mmap_mode="r")
    assert loaded.shape == (3, 3) and loaded[2].tolist() == [0, 1, 2]


def test_sklearn_pipeline(gcn_file, chembl):
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    pick = np.random.RandomState(0).permutation(len(chembl))[:300]  # the file is grouped by activity
    smiles = [chembl.smiles_list[i] for i in pick]
    y = chembl.graph_attr("y")[pick, 0] > 0
    assert 0.2 < y[:200].mean() < 0.8
    pipe = make_pipeline(PretrainedGNNEmbedder(model=gcn_file), StandardScaler(), LogisticRegression(max_iter=500))
    pipe.fit(smiles[:200], y[:200])
    proba = pipe.predict_proba(smiles[200:])
    assert proba.shape == (100, 2) and np.isfinite(proba).all()
    embedder = pipe[0]
    assert list(embedder.get_feature_names_out()[:2]) == ["gnn0", "gnn1"] and len(embedder.get_feature_names_out()) == 300
    np.testing.assert_array_equal(embedder.transform(np.array(smiles[:5]).reshape(-1, 1)),
                                  embed_smiles(smiles[:5], model=gcn_file))
    assert clone(embedder).get_params()["model"] == gcn_file
    with pytest.raises(ValueError, match=r"1 of 3 SMILES cannot be embedded \(row 1 'C1CC'"):
        embedder.transform(["CCO", "C1CC", "CCN"])
    nan = PretrainedGNNEmbedder(model=gcn_file, invalid="nan").fit().transform(["CCO", "C1CC"])
    assert np.isnan(nan[1]).all() and np.isfinite(nan[0]).all()


def test_bad_inputs(gcn_file, tmp_path, checkpoints, capsys, monkeypatch):
    from pretrain_gnns.cli_args import run_main
    src = tmp_path / "m.smi"
    src.write_text("CCO\n")
    cases = [
        (["--model", "gcn_nope", "--smiles-file", str(src), "--out", str(tmp_path / "o.npy")], "known chem models"),
        (["--model", os.path.join(checkpoints, "bio", "gcn_masking.pth"), "--smiles-file", str(src), "--out",
          str(tmp_path / "o.npy")], "holds a bio model"),
        (["--model", gcn_file, "--smiles-file", str(src), "--out", str(tmp_path / "o.txt")], "suffix must be one of"),
        (["--model", gcn_file, "--smiles-file", str(tmp_path / "none.smi"), "--out", str(tmp_path / "o.npy")],
         "SMILES file not found"),
    ]
    for argv, message in cases:
        with pytest.raises(SystemExit) as exit_:
            run_main(main, argv + ["--quiet"])
        err = capsys.readouterr().err
        assert exit_.value.code == 2 and message in err and "Traceback" not in err, err
    assert not os.path.exists(tmp_path / "o.npy")
    with monkeypatch.context() as m:
        m.setitem(__import__("sys").modules, "pyarrow", None)  # as if pyarrow were not installed
        with pytest.raises(ValueError, match="needs pyarrow"):
            main(["--model", gcn_file, "--smiles-file", str(src), "--out", str(tmp_path / "o.parquet"), "--quiet"])
    if __import__("importlib").util.find_spec("pyarrow"):
        import pandas as pd
        main(["--model", gcn_file, "--smiles-file", str(src), "--out", str(tmp_path / "o.parquet"), "--quiet"])
        table = pd.read_parquet(tmp_path / "o.parquet")
        assert table.shape == (1, 303) and table["valid"].tolist() == [True]


def test_benchmark_script_runs_on_a_tiny_input(checkpoints):
    import importlib.util
    spec = importlib.util.spec_from_file_location("benchmark_embed", os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts", "benchmark_embed.py"))
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = bench.main(["--max-molecules", "20", "--repeats", "1", "--gnn-types", "gcn", "--threads", "1",
                       "--model-dir", os.path.join(checkpoints, "chem")])
    assert [(r["precision"], r["molecules"], r["embedded"]) for r in rows] == [("fp32", 20, 20), ("bf16", 20, 20)]
    assert all(r["molecules_per_s"] > 0 for r in rows)
