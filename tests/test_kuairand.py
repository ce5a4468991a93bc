import os
import shutil

import numpy as np
import pandas as pd
import pytest

from funrec.data import load_kuairand
from funrec.data.kuairand import LOG_FILE, USER_FILE, VIDEO_FILE
from funrec.data.simulator import CATEGORICAL_COLUMNS, MANY_TASKS, SOCIAL_TASKS, TASKS


def test_loader_reads_the_official_files_into_the_common_dataset(kuairand_dir):
    data = load_kuairand(kuairand_dir)
    log = pd.read_csv(os.path.join(kuairand_dir, "data", LOG_FILE))
    assert len(data) == len(log)
    assert data.tasks == list(MANY_TASKS)  # the fixture holds all six, as the real log does
    assert set(data.features) == set(CATEGORICAL_COLUMNS)
    assert data.true_probs is None
    assert sorted(np.unique(data.date)) == [20220506, 20220507, 20220508]
    for task in MANY_TASKS:
        np.testing.assert_array_equal(np.sort(data.labels[task]), np.sort(log[task]))
        assert data.labels[task].dtype == np.int8
    for name, codes in data.features.items():
        assert codes.min() >= 0 and codes.max() < data.vocab_sizes[name], name


def test_loader_keeps_each_row_with_its_own_user_and_video(kuairand_dir):
    data = load_kuairand(kuairand_dir)
    log = pd.read_csv(os.path.join(kuairand_dir, "data", LOG_FILE)).sort_values(
        "date", kind="stable")
    np.testing.assert_array_equal(data.user_id, log.user_id.to_numpy())
    np.testing.assert_array_equal(data.labels["long_view"], log.long_view.to_numpy())


def test_the_social_labels_keep_each_row_and_hold_positives(kuairand_dir):
    data = load_kuairand(kuairand_dir)
    log = pd.read_csv(os.path.join(kuairand_dir, "data", LOG_FILE)).sort_values(
        "date", kind="stable")
    test = data.split_by_date()[2]
    for task in SOCIAL_TASKS:
        np.testing.assert_array_equal(data.labels[task], log[task].to_numpy())
        assert 0 < test.labels[task].sum() < len(test), "both classes on the test day"


def test_a_log_without_the_social_labels_loads_with_the_three(kuairand_dir, tmp_path):
    folder = copy_of(kuairand_dir, tmp_path)
    log = pd.read_csv(folder / LOG_FILE)
    log.drop(columns=["is_follow", "is_forward"]).to_csv(folder / LOG_FILE, index=False)
    assert load_kuairand(tmp_path / "k").tasks == ["is_click", "is_like", "long_view",
                                                   "is_comment"]
    log.drop(columns=list(SOCIAL_TASKS)).to_csv(folder / LOG_FILE, index=False)
    data = load_kuairand(tmp_path / "k")
    assert data.tasks == list(TASKS)
    np.testing.assert_array_equal(np.sort(data.labels["is_like"]), np.sort(log.is_like))


def test_chosen_labels_are_read_and_unknown_ones_refused(kuairand_dir, tmp_path):
    assert load_kuairand(kuairand_dir, tasks=["is_follow", "is_click"]).tasks == [
        "is_follow", "is_click"]
    with pytest.raises(ValueError, match=r"tasks must be a non-empty list drawn from "
                                         r"\['is_click', .*'is_forward'\]"):
        load_kuairand(kuairand_dir, tasks=["is_hate"])
    folder = copy_of(kuairand_dir, tmp_path)
    pd.read_csv(folder / LOG_FILE).drop(columns="is_comment").to_csv(folder / LOG_FILE,
                                                                      index=False)
    with pytest.raises(ValueError, match=rf"{LOG_FILE}: lacks the column\(s\) \['is_comment'\]"):
        load_kuairand(tmp_path / "k", tasks=["is_click", "is_comment"])


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
    with pytest.raises(ValueError, match=rf"{LOG_FILE}: lacks the column\(s\) \['long_view'\]"):
        load_kuairand(tmp_path / "k")


def test_non_binary_label_is_refused(tmp_path, kuairand_dir):
    shutil.copytree(kuairand_dir, tmp_path / "k")
    path = tmp_path / "k" / "data" / LOG_FILE
    log = pd.read_csv(path)
    log.loc[0, "is_like"] = 3
    log.to_csv(path, index=False)
    with pytest.raises(ValueError, match=f"{LOG_FILE}: label 'is_like'.*other than 0 and 1"):
        load_kuairand(tmp_path / "k")



def copy_of(kuairand_dir, tmp_path):
    """A writable copy of the fixture's files; returns its data folder."""
    shutil.copytree(kuairand_dir, tmp_path / "k")
    return tmp_path / "k" / "data"


def test_loader_matches_a_row_by_row_join_of_the_files(kuairand_dir, tmp_path):
    """Encoding once per user and per video, then gathering, gives the codes that a
    plain join of every impression with its user and video gives: the values that
    occur, numbered in their order as text, 0 for missing."""
    from funrec.data.encoding import duration_bucket

    folder = copy_of(kuairand_dir, tmp_path)
    log = pd.read_csv(folder / LOG_FILE)
    log.loc[0, "user_id"] = 999  # an impression whose user has no features
    log.to_csv(folder / LOG_FILE, index=False)
    users, videos = pd.read_csv(folder / USER_FILE), pd.read_csv(folder / VIDEO_FILE)
    videos["tag"] = videos["tag"].astype("string").str.split(",").str[0]
    videos["video_duration_bucket"] = pd.Series(
        duration_bucket(videos.video_duration.fillna(0))).where(videos.video_duration.notna())
    rows = (log.merge(users, on="user_id", how="left").merge(videos, on="video_id", how="left")
               .sort_values("date", kind="stable"))
    data = load_kuairand(tmp_path / "k")
    assert (data.user_id == 999).sum() == 1
    assert data.features["user_active_degree"][data.user_id == 999] == 0  # missing: code 0
    for column in CATEGORICAL_COLUMNS:
        codes, names = pd.factorize(rows[column].astype("string"), sort=True)
        np.testing.assert_array_equal(data.features[column], codes + 1, err_msg=column)
        assert data.vocab_sizes[column] == len(names) + 1, column


def write(path, data: bytes):
    with open(path, "wb") as file:
        file.write(data)


def edit_column(path, column, row, value):
    frame = pd.read_csv(path)
    frame[column] = frame[column].astype(object)
    frame.loc[row, column] = value
    frame.to_csv(path, index=False)


@pytest.mark.parametrize("filename", [LOG_FILE, USER_FILE, VIDEO_FILE])
def test_an_empty_file_is_named(kuairand_dir, tmp_path, filename):
    write(copy_of(kuairand_dir, tmp_path) / filename, b"")
    with pytest.raises(ValueError, match=rf"{filename}: is empty \(0 bytes\)"):
        load_kuairand(tmp_path / "k")


def test_a_file_of_blank_lines_is_named(kuairand_dir, tmp_path):
    write(copy_of(kuairand_dir, tmp_path) / LOG_FILE, b"\n\n\n")
    with pytest.raises(ValueError, match=rf"{LOG_FILE}: has no header row"):
        load_kuairand(tmp_path / "k")


def test_binary_garbage_is_named(kuairand_dir, tmp_path):
    garbage = np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    write(copy_of(kuairand_dir, tmp_path) / LOG_FILE, garbage)
    with pytest.raises(ValueError, match=rf"{LOG_FILE}: is not UTF-8 text"):
        load_kuairand(tmp_path / "k")


def test_binary_that_decodes_is_named_by_its_missing_columns(kuairand_dir, tmp_path):
    write(copy_of(kuairand_dir, tmp_path) / VIDEO_FILE, bytes(range(128)) * 8)
    with pytest.raises(ValueError, match=rf"{VIDEO_FILE}: lacks the column"):
        load_kuairand(tmp_path / "k")


def test_another_encoding_is_named(kuairand_dir, tmp_path):
    folder = copy_of(kuairand_dir, tmp_path)
    text = (folder / USER_FILE).read_text(encoding="utf-8")
    write(folder / USER_FILE, text.encode("utf-16"))
    with pytest.raises(ValueError, match=rf"{USER_FILE}: is not UTF-8 text \(byte 0xff"):
        load_kuairand(tmp_path / "k")


def test_a_file_that_cannot_be_opened_is_named(kuairand_dir, tmp_path, monkeypatch):
    copy_of(kuairand_dir, tmp_path)
    real = pd.read_csv

    def refuse_the_video_file(path, *args, **kwargs):
        if str(path).endswith(VIDEO_FILE):
            raise PermissionError(13, "Permission denied")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(pd, "read_csv", refuse_the_video_file)
    with pytest.raises(PermissionError, match=rf"{VIDEO_FILE} cannot be read: Permission denied"):
        load_kuairand(tmp_path / "k")


def test_a_folder_in_place_of_a_file_is_named(kuairand_dir, tmp_path):
    folder = copy_of(kuairand_dir, tmp_path)
    os.remove(folder / USER_FILE)
    os.mkdir(folder / USER_FILE)
    with pytest.raises(ValueError, match=rf"{USER_FILE}: is not a file"):
        load_kuairand(tmp_path / "k")


@pytest.mark.parametrize("filename, column, value, message", [
    (LOG_FILE, "user_id", "u5", r"column 'user_id' must hold whole numbers in every row"),
    (LOG_FILE, "is_click", None, r"column 'is_click' must hold 0 or 1 in every row"),
    (LOG_FILE, "is_click", "yes", r"column 'is_click' must hold 0 or 1"),
    (LOG_FILE, "date", "2022-05-06", r"column 'date' must hold whole numbers"),
    (LOG_FILE, "date", 20221345, r"date 20221345 is not a day written as YYYYMMDD"),
    (USER_FILE, "user_id", 1, r"lists user_id 1 more than once"),
    (VIDEO_FILE, "video_duration", "long", r"column 'video_duration' must hold numbers"),
])
def test_a_malformed_column_is_named_with_its_file(kuairand_dir, tmp_path, filename, column,
                                                   value, message):
    edit_column(copy_of(kuairand_dir, tmp_path) / filename, column, 0, value)
    with pytest.raises(ValueError, match=rf"{filename}: {message}"):
        load_kuairand(tmp_path / "k")
