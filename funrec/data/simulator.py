"""A KuaiRand-shaped interaction log drawn from a documented latent-factor story.

The story of how a user treats a video shown in the feed
--------------------------------------------------------
Three hidden quantities decide what happens after a video is shown to a user.

* **interest** -- how well the video's topic (``tag``) suits the user's taste.
  Users come in taste cohorts (the observed column ``onehot_feat1``); each cohort
  likes some topics and dislikes others (a cohort x tag table drawn once from
  N(0, 1)), and each user has a personal lean of their own.
* **hook** -- how catchy the cover and title are: a function of the video's
  ``upload_type``, ``music_type`` and ``video_type`` plus a per-video part that
  only the video id can reveal.
* **depth** -- how rewarding the video is to watch to the end: patient users
  (``user_active_degree``) enjoy long videos, restless ones short ones (an active
  degree x duration table), plus a per-video content quality.

Each quantity is standardised to mean 0 and variance 1 over the log. With
``theta = pi * conflict`` the three labels are drawn as independent Bernoulli
variables with

    logit P(is_click)  = a_click + s * (interest + hook)
    logit P(long_view) = a_long  + s * (interest + cos(theta) * hook + sin(theta) * depth)
    logit P(is_like)   = a_like  + s * (interest + cos(theta) * hook + sin(theta) * depth
                                        + author_charm)

``conflict`` is the one knob, and it changes the data only:

* ``conflict = 0`` (aligned): a catchy video is also watched to the end, so the
  three tasks want the same representation of a video.
* ``conflict = 0.5`` (independent): whether people stay depends on depth, which
  has nothing to do with the hook.
* ``conflict = 1`` (conflicting): clickbait. The catchier the cover, the sooner
  the viewer feels cheated and leaves, so the hook pushes clicks up and long
  views and likes down. Interest still helps every task.

The intercepts ``a_*`` are solved for so that the positive rates stay at the
targets (clicks about 35 %, long views about 25 %, likes about 3 %) at every
conflict level: the knob moves how the tasks relate, not how often they fire.
``s`` (``signal``) sets how predictable the labels are; the true probabilities
are returned beside the data so the oracle AUC of each task can be computed.
They are never model inputs.

Simplifications, stated: exposure is random (weighted by video popularity and
user activity), not chosen by a recommender, and the three labels are drawn
independently given the probabilities (a like does not require a click).
"""

from __future__ import annotations

import numpy as np

from .dataset import Dataset
from .encoding import duration_bucket

TASKS = ("is_click", "is_like", "long_view")
TARGET_RATES = {"is_click": 0.35, "is_like": 0.03, "long_view": 0.25}
CONFLICT_LEVELS = {"aligned": 0.0, "independent": 0.5, "conflicting": 1.0}

# Category values spelled as in the KuaiRand-1K feature files.
USER_ACTIVE_DEGREE = ("high_active", "full_active", "middle_active", "UNKNOWN")
FOLLOW_USER_NUM_RANGE = ("0", "(0,10]", "(10,50]", "(50,100]", "(100,150]", "(150,250]",
                         "(250,500]", "500+")
REGISTER_DAYS_RANGE = ("15-30", "31-60", "61-90", "91-180", "181-365", "366-730", "730+")
FANS_USER_NUM_RANGE = ("0", "[1,10)", "[10,100)", "[100,1k)", "[1k,5k)", "[5k,1w)", "[1w,10w)")
VIDEO_TYPE = ("NORMAL", "AD")
UPLOAD_TYPE = ("ShortImport", "LongImport", "LongPicture", "Web", "ShortCamera", "PictureSet",
               "PhotoCopy", "LocalCollect")
MUSIC_TYPE = ("0", "4", "7", "8", "9", "11")
N_TAGS = 30
N_COHORTS = 8
FIRST_DAY = np.datetime64("2022-04-22")
N_DAYS = 17  # 2022-04-22 .. 2022-05-08, the span of the KuaiRand-1K standard log

CATEGORICAL_COLUMNS = (
    "user_id", "user_active_degree", "follow_user_num_range", "register_days_range",
    "fans_user_num_range", "onehot_feat1",
    "video_id", "author_id", "video_type", "upload_type", "music_type", "tag",
    "video_duration_bucket")


def resolve_conflict(conflict) -> float:
    """Accept a number in [0, 1] or one of the named levels."""
    if isinstance(conflict, str):
        if conflict not in CONFLICT_LEVELS:
            raise ValueError(f"unknown conflict level {conflict!r}; use a number in [0, 1] "
                             f"or one of {sorted(CONFLICT_LEVELS)}.")
        return CONFLICT_LEVELS[conflict]
    conflict = float(conflict)
    if not 0.0 <= conflict <= 1.0:
        raise ValueError(f"conflict must lie in [0, 1] (0 aligned, 0.5 independent, "
                         f"1 conflicting), got {conflict}.")
    return conflict


def _standardise(x):
    return (x - x.mean()) / (x.std() + 1e-12)


def _solve_intercept(score, target_rate):
    """The intercept a with mean(sigmoid(a + score)) == target_rate (bisection)."""
    lo, hi = -20.0, 20.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if np.mean(1 / (1 + np.exp(-(mid + score)))) < target_rate:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def simulate_kuairand(
    n_users: int = 1000,
    n_videos: int = 2000,
    n_authors: int = 400,
    n_rows: int = 300_000,
    conflict=0.5,
    signal: float = 1.0,
    seed: int = 0,
) -> Dataset:
    """Draw a KuaiRand-1K-shaped log; see the module docstring for the story.

    Same arguments, same data, to the bit. ``conflict`` accepts 0..1 or
    ``"aligned"``, ``"independent"``, ``"conflicting"``.
    """
    conflict = resolve_conflict(conflict)
    for name, value in (("n_users", n_users), ("n_videos", n_videos),
                        ("n_authors", n_authors), ("n_rows", n_rows)):
        if int(value) < 1:
            raise ValueError(f"{name} must be a positive whole number, got {value}.")
    if signal <= 0:
        raise ValueError(f"signal must be positive, got {signal}.")
    rng = np.random.default_rng(seed)

    # Users: observed categories, plus the hidden lean.
    user_active = rng.choice(len(USER_ACTIVE_DEGREE), n_users, p=[0.45, 0.3, 0.2, 0.05])
    user_cohort = rng.integers(0, N_COHORTS, n_users)
    user_follow = rng.integers(0, len(FOLLOW_USER_NUM_RANGE), n_users)
    user_register = rng.integers(0, len(REGISTER_DAYS_RANGE), n_users)
    user_fans = rng.integers(0, len(FANS_USER_NUM_RANGE), n_users)
    user_lean = rng.normal(0, 0.3, n_users)
    user_activity = np.array([3.0, 2.0, 1.0, 0.5])[user_active] * rng.lognormal(0, 0.3, n_users)

    # Videos: observed categories, plus hidden per-video catchiness and quality.
    video_author = rng.integers(0, n_authors, n_videos)
    video_type = rng.choice(len(VIDEO_TYPE), n_videos, p=[0.9, 0.1])
    video_upload = rng.integers(0, len(UPLOAD_TYPE), n_videos)
    video_music = rng.integers(0, len(MUSIC_TYPE), n_videos)
    video_tag = rng.integers(0, N_TAGS, n_videos)
    video_duration_ms = np.round(rng.lognormal(np.log(20_000), 0.8, n_videos)).astype(np.int64)
    video_length = duration_bucket(video_duration_ms)
    video_catchiness = rng.normal(0, 0.3, n_videos)
    video_quality = rng.normal(0, 0.3, n_videos)
    popularity = rng.pareto(2.0, n_videos) + 1
    author_charm = rng.normal(0, 0.5, n_authors)

    # The tables of the story, drawn once per seed.
    taste = rng.normal(0, 1, (N_COHORTS, N_TAGS))
    hook_upload = rng.normal(0, 1, len(UPLOAD_TYPE))
    hook_music = rng.normal(0, 0.7, len(MUSIC_TYPE))
    hook_type = np.array([0.0, 0.8])  # ads are made to be catchy
    patience = rng.normal(0, 1, (len(USER_ACTIVE_DEGREE), int(video_length.max()) + 1))

    # Impressions: who saw what, and when.
    u = rng.choice(n_users, n_rows, p=user_activity / user_activity.sum())
    v = rng.choice(n_videos, n_rows, p=popularity / popularity.sum())
    day = rng.integers(0, N_DAYS, n_rows)
    order = np.lexsort((rng.random(n_rows), day))  # a log is ordered by time
    u, v, day = u[order], v[order], day[order]

    interest = _standardise(taste[user_cohort[u], video_tag[v]] + user_lean[u])
    hook = _standardise(hook_upload[video_upload[v]] + hook_music[video_music[v]]
                        + hook_type[video_type[v]] + video_catchiness[v])
    depth = _standardise(patience[user_active[u], video_length[v]] + video_quality[v])
    theta = np.pi * conflict
    stay = np.cos(theta) * hook + np.sin(theta) * depth
    scores = {
        "is_click": signal * (interest + hook),
        "long_view": signal * (interest + stay),
        "is_like": signal * (interest + stay + author_charm[video_author[v]]),
    }
    true_probs, labels = {}, {}
    for task in TASKS:
        a = _solve_intercept(scores[task], TARGET_RATES[task])
        true_probs[task] = 1 / (1 + np.exp(-(a + scores[task])))
        labels[task] = (rng.random(n_rows) < true_probs[task]).astype(np.int8)

    # Codes 1..K, with 0 kept for "missing" as in the real loader.
    features = {
        "user_id": u + 1,
        "user_active_degree": user_active[u] + 1,
        "follow_user_num_range": user_follow[u] + 1,
        "register_days_range": user_register[u] + 1,
        "fans_user_num_range": user_fans[u] + 1,
        "onehot_feat1": user_cohort[u] + 1,
        "video_id": v + 1,
        "author_id": video_author[v] + 1,
        "video_type": video_type[v] + 1,
        "upload_type": video_upload[v] + 1,
        "music_type": video_music[v] + 1,
        "tag": video_tag[v] + 1,
        "video_duration_bucket": video_length[v] + 1,
    }
    features = {k: x.astype(np.int32) for k, x in features.items()}
    vocab = {k: int(features[k].max()) + 1 for k in features}
    vocab.update(user_id=n_users + 1, video_id=n_videos + 1, author_id=n_authors + 1)
    dates = (FIRST_DAY + day).astype("datetime64[D]")
    date = np.array([int(str(d).replace("-", "")) for d in np.unique(dates)])[
        np.searchsorted(np.unique(dates), dates)]
    return Dataset(
        features=features, labels=labels, date=date, user_id=u + 1, vocab_sizes=vocab,
        true_probs=true_probs, name="simulated-kuairand",
        description=dict(conflict=conflict, signal=signal, seed=seed, n_users=n_users,
                         n_videos=n_videos, n_authors=n_authors, n_rows=n_rows))
