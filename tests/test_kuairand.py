import os
import shutil

import numpy as np
import pandas as pd
import pytest

from funrec.data import load_kuairand
from funrec.data.kuairand import LOG_FILE, USER_FILE, VIDEO_FILE
from funrec.data.simulator import CATEGORICAL_COLUMNS


def test_loader_reads_the_official_files_into_the_common_dataset(kuairand_dir):
    data = load_kuairand(kuairand_dir)
    log = pd.read_csv(os.path.join(kuairand_dir, "data", LOG_FILE))
    assert len(data) == len(log)
    assert data.tasks == ["is_click", "is_like", "long_view"]
    assert set(data.features) == set(CATEGORICAL_COLUMNS)
    assert data.true_probs is None
    assert sorted(np.unique(data.date)) == [20220506, 20220507, 20220508]
    np.testing.assert_array_equal(np.sort(data.labels["is_click"]), np.sort(log.is_click))
    for name, codes in data.features.items():
        assert codes.min() >= 0 and codes.max() < data.vocab_sizes[name], name


def test_loader_keeps_each_row_with_its_own_user_and_video(kuairand_dir):
    data = load_kuairand(kuairand_dir)
    log = pd.read_csv(os.path.join(kuairand_dir, "data", LOG_FILE)).sort_values(
        "date", kind="stable")
    np.testing.assert_array_equal(data.user_id, log.user_id.to_numpy())
    np.testing.assert_array_equal(data.labels["long_view"], log.long_view.to_numpy())


def test_first_tag_is_used_and_missing_values_get_code_zero(kuairand_dir):
    data = load_kuairand(kuairand_dir)
    videos = pd.read_csv(os.path.join(kuairand_dir, "data", VIDEO_FILE))
    assert data.vocab_sizes["tag"] == 1 + videos.tag.astype(str).str.split(",").str[0].nunique()
    log = pd.read_csv(os.path.join(kuairand_dir, "data", LOG_FILE)).sort_values(
        "date", kind="stable")
    no_duration = (log.video_id == 3).to_numpy()  # the fixture leaves video 3's length empty
    if no_duration.any():
        assert np.all(data.features["video_duration_bucket"][no_duration] == 0)


def test_missing_folder_names_the_folder_and_where_to_get_the_data(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist.*kuairand.com"):
        load_kuairand(tmp_path / "nowhere")


def test_missing_file_is_named(tmp_path, kuairand_dir):
    shutil.copytree(kuairand_dir, tmp_path / "k")
    os.remove(tmp_path / "k" / "data" / USER_FILE)
    with pytest.raises(FileNotFoundError, match=USER_FILE):
        load_kuairand(tmp_path / "k")


def test_missing_column_is_named(tmp_path, kuairand_dir):
    shutil.copytree(kuairand_dir, tmp_path / "k")
    path = tmp_path / "k" / "data" / LOG_FILE
    pd.read_csv(path).drop(columns="long_view").to_csv(path, index=False)
    with pytest.raises(ValueError, match="long_view"):
        load_kuairand(tmp_path / "k")


def test_non_binary_label_is_refused(tmp_path, kuairand_dir):
    shutil.copytree(kuairand_dir, tmp_path / "k")
    path = tmp_path / "k" / "data" / LOG_FILE
    log = pd.read_csv(path)
    log.loc[0, "is_like"] = 3
    log.to_csv(path, index=False)
    with pytest.raises(ValueError, match="is_like.*other than 0 and 1"):
        load_kuairand(tmp_path / "k")
