"""python -m chem.download without a network: local file:// sources, checksums, atomic writes, the zip."""
from __future__ import annotations

import gzip
import os
import shutil
import zipfile

import pytest

from chem.datasets import SPECS
from chem.download import (ChecksumError, DownloadError, content_sha256, download_chem_dataset, download_dataset,
                           main)


def url_of(path) -> str:
    return "file://" + os.path.abspath(str(path))


def no_partial_files(folder) -> bool:
    return not any(name.startswith(".part_") for _, _, files in os.walk(folder) for name in files)


def test_download_verifies_the_known_sha256(shared_data, tmp_path):
    source = os.path.join(shared_data, "moleculenet", "bbbp", "raw", "BBBP.csv")
    path = download_dataset("bbbp", str(tmp_path), url=url_of(source), progress=False)
    assert path == os.path.join(str(tmp_path), "bbbp", "raw", "BBBP.csv")
    assert content_sha256(path) == SPECS["bbbp"].sha256
    assert oct(os.stat(path).st_mode & 0o777) != oct(0o600)  # a normal file, not the temp file's mode
    # a second call finds it there and does nothing
    mtime = os.stat(path).st_mtime_ns
    assert download_dataset("bbbp", str(tmp_path), url=url_of(source), progress=False) == path
    assert os.stat(path).st_mtime_ns == mtime


def test_gzip_source_is_checked_by_its_content(shared_data, tmp_path):
    """A .csv.gz is checked by the sha256 of its decompressed bytes: the canonical clintox.csv.gz passes."""
    source = os.path.join(shared_data, "moleculenet", "clintox", "alt", "clintox.csv.gz")
    path = download_dataset("clintox", str(tmp_path), url=url_of(source), progress=False)
    assert path.endswith(os.path.join("clintox", "raw", "clintox.csv.gz"))
    with gzip.open(path, "rt") as f:
        assert f.readline().strip() == "smiles,FDA_APPROVED,CT_TOX"


def test_wrong_bytes_are_refused_and_nothing_is_left(tmp_path):
    wrong = tmp_path / "BBBP.csv"
    wrong.write_text("num,name,p_np,smiles\n1,x,1,CCO\n")
    root = tmp_path / "data"
    with pytest.raises(ChecksumError, match="is not the known file"):
        download_dataset("bbbp", str(root), url=url_of(wrong), progress=False)
    assert not os.path.exists(root / "bbbp")  # no empty raw/ that would read as a dataset without a file
    assert no_partial_files(tmp_path)
    # --no-verify takes it on purpose
    path = download_dataset("bbbp", str(root), url=url_of(wrong), verify=False, progress=False)
    assert open(path).read().endswith("CCO\n")


def test_no_network_gives_a_clear_error(tmp_path, capsys):
    # port 9 on the loopback: connection refused at once, the same path as a machine without network
    with pytest.raises(DownloadError, match="could not download http://127.0.0.1:9/BBBP.csv") as err:
        download_dataset("bbbp", str(tmp_path), url="http://127.0.0.1:9/BBBP.csv", progress=False)
    assert "copy it to" in str(err.value) and os.path.join("bbbp", "raw", "BBBP.csv") in str(err.value)
    assert main(["bbbp", "--data-root", str(tmp_path), "--url", "http://127.0.0.1:9/BBBP.csv", "--quiet"]) == 1
    assert capsys.readouterr().err.startswith("error: could not download")
    assert not os.path.exists(tmp_path / "bbbp") and no_partial_files(tmp_path)


def test_refuses_a_second_raw_file(shared_data, tmp_path):
    raw = tmp_path / "bbbp" / "raw"
    raw.mkdir(parents=True)
    (raw / "other.csv").write_text("smiles\nCCO\n")
    with pytest.raises(DownloadError, match="already holds"):
        download_dataset("bbbp", str(tmp_path), url=url_of(os.path.join(shared_data, "moleculenet", "bbbp", "raw",
                                                                         "BBBP.csv")), progress=False)


def test_datasets_without_a_file_of_their_own_point_to_the_zip(tmp_path):
    with pytest.raises(DownloadError, match="chem_dataset"):
        download_dataset("mutag", str(tmp_path), progress=False)
    with pytest.raises(DownloadError, match="unknown dataset"):
        download_dataset("nope", str(tmp_path), progress=False)


def test_chem_dataset_zip_unpacks_raw_and_reference(shared_data, tmp_path):
    bbbp = os.path.join(shared_data, "moleculenet", "bbbp")
    archive = tmp_path / "chem_dataset.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(os.path.join(bbbp, "raw", "BBBP.csv"), "dataset/bbbp/raw/BBBP.csv")
        z.write(os.path.join(bbbp, "reference_processed", "smiles.csv"), "dataset/bbbp/processed/smiles.csv")
        z.writestr("dataset/README.txt", "ignored")
        z.writestr("dataset/../../evil/raw/x.csv", "must not be written")
        z.writestr("/abs/raw/y.csv", "must not be written")
    root = tmp_path / "data"
    counts = download_chem_dataset(str(root), url=url_of(archive), progress=False)
    assert counts == {"bbbp": 2}
    assert content_sha256(str(root / "bbbp" / "raw" / "BBBP.csv")) == SPECS["bbbp"].sha256
    assert (root / "bbbp" / "reference_processed" / "smiles.csv").exists()
    assert sorted(os.listdir(root)) == ["bbbp", "chem_dataset.zip"]
    assert not (tmp_path / "evil").exists() and not os.path.exists("/abs")
    # the unpacked folder is a data root the loader reads
    from chem.loader import MoleculeDataset
    ds = MoleculeDataset(str(root / "bbbp"), dataset="bbbp", verbose=False)
    assert len(ds) == 2039
    shutil.rmtree(root)
