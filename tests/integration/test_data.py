"""The data stage: official file format, labels, splits, and the verified download (on 127.0.0.1)."""

import hashlib
import http.server
import threading
import zipfile
from functools import partial

import pandas as pd
import pytest

from airparadis import config
from airparadis.core import data
from tests.conftest import invoke
from tests.servers import free_port


def test_bundled_files_read_as_the_official_format():
    train, manual = data.load_raw("bundled")
    assert list(train.columns) == data.COLUMNS
    assert len(train) == 70_387 and set(train.target) == {0, 4}
    assert len(manual) == 498 and set(manual.target) == {0, 2, 4}


def test_binary_labels_make_negative_the_positive_class():
    frame = pd.DataFrame({"target": [0, 2, 4], "text": ["bad", "meh", "good"]})
    out = data.to_binary(frame)
    assert out.to_dict("list") == {"text": ["bad", "good"], "label": [1, 0]}


def test_splits_are_deterministic_stratified_and_disjoint():
    a = data.load_splits("bundled", sample=5000)
    b = data.load_splits("bundled", sample=5000)
    assert a.train.equals(b.train) and a.test.equals(b.test)
    sizes = {name: len(frame) for name, frame in a.items()}
    assert sizes["train"] == 4000 and sizes["validation"] == 500 and sizes["test"] == 500
    assert sizes["sts_test"] == 359  # the hand-labelled positive and negative tweets, always complete
    shares = a.balance()["negative_share"]
    assert shares[["train", "validation", "test"]].max() - shares[["train", "validation", "test"]].min() < 0.01
    texts = [set(f.text) for f in (a.train, a.validation, a.test)]
    assert not (texts[0] & texts[1]) and not (texts[0] & texts[2]) and not (texts[1] & texts[2])


def test_a_file_that_is_not_sentiment140_gets_a_clear_error(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("hello,world\n1,2\n")
    with pytest.raises(data.DataUnavailable, match="not a Sentiment140 file|expected targets"):
        data.load_raw(str(bad))
    with pytest.raises(data.DataUnavailable, match="no such data file"):
        data.load_raw(str(tmp_path / "missing.zip"))


@pytest.fixture
def official_zip(tmp_path):
    """A small zip laid out like the official download, with the bundled files' first rows."""
    train, manual = data.load_raw("bundled")
    path = tmp_path / "site" / "trainingandtestdata.zip"
    path.parent.mkdir()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for member, frame in ((config.OFFICIAL_TRAIN_MEMBER, pd.concat([train.head(300), train.tail(300)])),
                              (config.OFFICIAL_TEST_MEMBER, manual)):
            z.writestr(member, frame.to_csv(header=False, index=False, quoting=1).encode("latin-1", "replace"))
    return path


@pytest.fixture
def site(official_zip):
    """A real HTTP server on 127.0.0.1 serving the zip's folder."""
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(official_zip.parent))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{official_zip.name}"
    server.shutdown()


def test_download_verifies_caches_and_reads(site, official_zip, tmp_path, capsys):
    md5 = hashlib.md5(official_zip.read_bytes()).hexdigest()
    cache = tmp_path / "cache"
    path = data.download_official(site, cache, md5)
    assert path == cache / "trainingandtestdata.zip" and path.read_bytes() == official_zip.read_bytes()
    assert "%" in capsys.readouterr().err  # the progress bar
    official_zip.unlink()  # a second call uses the cache, not the network
    assert data.download_official(site, cache, md5) == path
    train, manual = data.load_raw(str(path))
    assert len(train) == 600 and len(manual) == 498


def test_download_with_a_wrong_checksum_is_refused_and_not_cached(site, tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(data.DataUnavailable, match="does not match"):
        data.download_official(site, cache, "0" * 32)
    assert list(cache.iterdir()) == []


def test_download_offline_says_what_to_do(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/trainingandtestdata.zip"  # nothing listens there
    with pytest.raises(data.DataUnavailable, match="--source bundled"):
        data.download_official(url, tmp_path, "")
    assert list(tmp_path.iterdir()) == []


def test_data_command_prints_the_class_balance_and_the_splits_uri():
    from entrypoints import data as command

    code, out = invoke(command.main, "--sample", "2000")
    assert code == 0 and "negative_share" in out and "sts_test" in out and "runs:/" in out
    code, out = invoke(command.main, "--source", "/nonexistent.csv")
    assert code == 2 and "error: no such data file: /nonexistent.csv" in out
