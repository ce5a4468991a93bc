"""A KuaiRand-shaped interaction log drawn from a documented story of user behaviour.

The story of how a user treats a video shown in the feed
--------------------------------------------------------
Four hidden quantities decide what happens after a video is shown to a user
(the many-task story adds a fifth, below).

* **interest** ``I`` -- how curious the video's topic (``tag``) makes the user.
  Users come in taste cohorts (the observed column ``onehot_feat1``); each cohort
  is curious about some topics and bored by others (a cohort x tag table drawn
  once from N(0, 1)), and each user has a personal lean of their own.
* **hook** ``H`` -- how catchy the cover and title are: a function of the video's
  ``upload_type``, ``music_type`` and ``video_type`` (ads are made to be catchy)
  plus a per-video part that only the video id can reveal.
* **enjoyment** ``E`` -- how much the user's cohort enjoys *watching* the topic,
  which is not what makes it curious: people tap on gossip and leave, and watch
  cooking videos to the end that they would never have searched for. A second
  cohort x tag table, drawn independently of the first, plus a per-video quality.
* **fit** ``F`` -- whether the length suits the viewer's patience: heavy users
  (``user_active_degree``) settle into long videos, light ones prefer short ones
  (an active degree x duration table).

Each quantity is standardised to mean 0 and variance 1 over the log. What makes a
user *tap* is always the same: ``C = (I + H) / sqrt(2)``, the click drivers.
What makes them *stay* to the end depends on the ``story`` and on the knob
``conflict`` (written ``c`` below), which change the long views and likes only
(and in the many-task story the social tasks):

* ``story="drivers"`` (the default): **competition for capacity**. As ``c``
  rises, what keeps viewers watching moves from what made them click to other
  things, ``S = standardise(E + F)``:  ``L = cos(pi c / 2) C + sin(pi c / 2) S``.
  Named levels: ``"shared_drivers"`` (0, viewers stay for what made them click),
  ``"partly_shared"`` (0.5) and ``"different_drivers"`` (1, staying has nothing
  to do with clicking). At 1 a shared network must represent four quantities
  instead of two for the same tasks.
* ``story="clickbait"``: **gradient conflict**. Staying depends on the same two
  drivers as clicking, the hook with a sign that turns:
  ``L = standardise(I + cos(pi c) H)``. Named levels: ``"aligned"`` (0, a catchy
  video is also watched through), ``"hook_ignored"`` (0.5, the cover does not
  matter once the video plays) and ``"clickbait"`` (1, the catchier the cover,
  the sooner the viewer feels cheated and leaves). The tasks' gradients on the
  hook disagree, yet one representation of ``I`` and ``H`` serves both.
* ``story="segments"``: **tasks that relate differently in different users**.
  Patient viewers (the heaviest users, ``user_active_degree == "high_active"``)
  stay for what made them click at every level; restless viewers (every other
  activity degree, about 40 % of the impressions) follow the drivers story:
  ``L = cos(pi c_u / 2) C + sin(pi c_u / 2) S`` with ``c_u = 0`` for patient
  and ``c_u = c`` for restless viewers. Named levels: ``"segments_alike"`` (0),
  ``"restless_drift"`` (0.5) and ``"restless_apart"`` (1).
* ``story="many_tasks"``: **many tasks in two groups**, six labels named like
  KuaiRand's. The *consumption* group (``is_click``, ``long_view``, ``is_like``)
  stays with the click drivers at every level, ``L = C``. The *social* group
  (``is_follow``, ``is_comment``, ``is_forward``) moves, as ``c`` rises, from the
  click drivers to a fifth hidden quantity, the **affinity** ``A`` of the user for
  the video's author: ``A = standardise(sociability + kinship + author_charm)``,
  where the sociability is a table over the user's observed
  ``follow_user_num_range`` (N(0, 1)) plus a personal part (N(0, 0.5^2)), and the
  kinship a cohort (``onehot_feat1``) x author-community table (N(0, 1); each
  author belongs to one of 8 communities, which only ``author_id`` reveals). The
  social driver is ``G = standardise(cos(pi c / 2) C + sin(pi c / 2) A)``. Named
  levels: ``"one_group"`` (0, every task is driven by the click drivers),
  ``"groups_drift"`` (0.5) and ``"two_groups"`` (1, the groups share no driver).
  At 1 a shared network must represent ``C`` and ``A`` for two crowds of tasks.

``L`` is standardised in every story, and the labels are independent Bernoulli
variables with

    logit P(is_click)  = a_click + s * (I + H)            ( = a_click + s * sqrt(2) * C )
    logit P(long_view) = a_long  + s * sqrt(2) * L
    logit P(is_like)   = a_like  + s * (sqrt(2) * L + author_charm)

and in the many-task story also, each social task with a charm of its own
(N(0, 0.5^2), like the likes' ``author_charm``: the author's followability, the
video's talkability and its shareability),

    logit P(is_follow)  = a_follow  + s * (sqrt(2) * G + followability[author])
    logit P(is_comment) = a_comment + s * (sqrt(2) * G + talkability[video])
    logit P(is_forward) = a_forward + s * (sqrt(2) * G + shareability[video])

At ``conflict = 0`` the three first stories give the same log, and the many-task
story gives that log's three labels bit for bit, with three more. The correlation
of the click and long-view logits is ``cos(pi c / 2)`` in the drivers story and
``(1 + cos(pi c)) / sqrt(2 (1 + cos(pi c)^2))`` in the clickbait story (both 0 at
``c = 1``: uncorrelated, not anti-correlated). In the many-task story the tasks
of one group correlate 0.88 to 1 at every level (clicks and long views share one
logit), and a consumption task with a social one 0.88 to 0.94 at ``c = 0``, about
0.66 to 0.70 at 0.5 and about 0 at 1 (likes keep about 0.1 with the social group:
the author's charm draws likes and affinity alike).
:func:`true_logit_correlation` measures it on any simulated log. A named level
implies its story, so ``conflict="clickbait"`` needs no ``story=``.

The intercepts ``a_*`` are solved for so that the positive rates stay at the
targets (clicks about 35 %, long views about 25 %, likes about 3 %; follows,
comments and forwards 2 % each) in every story and at every level: the knob moves
how the tasks relate, not how often they fire. The targets are of the order of
the real KuaiRand-1K standard log's rates: there about a third of the impressions
are clicked, about a quarter watched long, and likes (and profile visits) run at
1-2 %. One departure, stated: follows, comments and forwards are well under 1 %
there, which would leave under a hundred positives on a test day of the default
log (about 17,700 rows) and make their AUC noisy; at 2 % each task has about 350
(the likes' 3 % is the three-task stories' target, kept). ``s`` (``signal``) sets
how predictable the labels are; the true probabilities are returned beside the
data so the oracle AUC of each task can be computed. They are never model inputs.
The users, videos and impressions depend on ``seed`` only (not on the story or the
level), so logs drawn at two levels with one seed differ in their labels alone.

Simplifications, stated: exposure is random (weighted by video popularity and
user activity), not chosen by a recommender, and the labels are drawn
independently given the probabilities (a like, a follow or a comment does not
require a click). The many-task story's own hidden quantities come from a
generator of their own (seeded by ``seed`` too), so the other stories' draws are
the same as before it existed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .dataset import Dataset
from .encoding import duration_bucket

TASKS = ("is_click", "is_like", "long_view")  # the tasks of the three-task stories
SOCIAL_TASKS = ("is_follow", "is_comment", "is_forward")
MANY_TASKS = TASKS + SOCIAL_TASKS
TARGET_RATES = {"is_click": 0.35, "is_like": 0.03, "long_view": 0.25,
                "is_follow": 0.02, "is_comment": 0.02, "is_forward": 0.02}
STORIES = ("drivers", "clickbait", "segments", "many_tasks")
STORY_TASKS = {"drivers": TASKS, "clickbait": TASKS, "segments": TASKS,
               "many_tasks": MANY_TASKS}
CONFLICT_LEVELS = {
    "drivers": {"shared_drivers": 0.0, "partly_shared": 0.5, "different_drivers": 1.0},
    "clickbait": {"aligned": 0.0, "hook_ignored": 0.5, "clickbait": 1.0},
    "segments": {"segments_alike": 0.0, "restless_drift": 0.5, "restless_apart": 1.0},
    "many_tasks": {"one_group": 0.0, "groups_drift": 0.5, "two_groups": 1.0},
}
N_COMMUNITIES = 8  # the many-task story's author communities

# Category values spelled as in the KuaiRand-1K feature files.
USER_ACTIVE_DEGREE = ("high_active", "full_active", "middle_active", "UNKNOWN")
RESTLESS_DEGREES = ("full_active", "middle_active", "UNKNOWN")
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


def _story_of_level(name: str) -> str:
    for story, levels in CONFLICT_LEVELS.items():
        if name in levels:
            return story
    names = [n for levels in CONFLICT_LEVELS.values() for n in levels]
    raise ValueError(f"unknown conflict level {name!r}; use a number in [0, 1] or one of "
                     f"{', '.join(names)}.")


def resolve_conflict(conflict, story=None) -> tuple[str, float]:
    """The story and the level in [0, 1] that ``conflict`` and ``story`` ask for.

    ``conflict`` is a number in [0, 1] or a level name; a name implies its story,
    and ``story=None`` means that story (or ``"drivers"`` for a number)."""
    if story is not None and story not in STORIES:
        raise ValueError(f"unknown story {story!r}; choose one of {', '.join(STORIES)} "
                         "(or leave story=None).")
    if isinstance(conflict, str):
        named_story = _story_of_level(conflict)
        if story is not None and story != named_story:
            raise ValueError(
                f"conflict level {conflict!r} belongs to the {named_story!r} story, not "
                f"{story!r}; the {story!r} story's levels are "
                f"{', '.join(CONFLICT_LEVELS[story])} (or pass a number in [0, 1]).")
        return named_story, CONFLICT_LEVELS[named_story][conflict]
    if isinstance(conflict, bool) or not isinstance(conflict, (int, float, np.number)):
        raise TypeError(f"conflict must be a number in [0, 1] or a level name, "
                        f"got {conflict!r}.")
    value = float(conflict)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"conflict must lie in [0, 1] (0: the tasks share their drivers, "
                         f"1: the story's most competing level), got {conflict}.")
    return story or "drivers", value


def tasks_of(story: str | None = None) -> tuple[str, ...]:
    """The labels a simulated log of ``story`` holds (``None``: the default story)."""
    if story is not None and story not in STORIES:
        raise ValueError(f"unknown story {story!r}; choose one of {', '.join(STORIES)} "
                         "(or leave story=None).")
    return STORY_TASKS[story or "drivers"]


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


def _staying(story: str, conflict: float, drivers: dict, restless: np.ndarray) -> np.ndarray:
    """The standardised reason to watch to the end, ``L`` of the module docstring."""
    click = (drivers["interest"] + drivers["hook"]) / np.sqrt(2)
    stay = _standardise(drivers["enjoyment"] + drivers["fit"])
    if story == "clickbait":
        return _standardise(drivers["interest"] + np.cos(np.pi * conflict) * drivers["hook"])
    if story == "many_tasks":  # the consumption group stays for what made it click
        return _standardise(click)
    angle = np.pi / 2 * conflict
    if story == "segments":
        angle = np.where(restless, angle, 0.0)
    return _standardise(np.cos(angle) * click + np.sin(angle) * stay)


def _social(seed: int, conflict: float, click: np.ndarray, u, v, cohort, user_follow,
            video_author, author_charm) -> dict:
    """The many-task story's social tasks: each one's score per impression, before
    ``signal`` (``click`` is ``C``, one value per impression). Its hidden quantities
    come from a generator of their own, so every other draw is untouched."""
    rng = np.random.default_rng([seed, 1])
    n_users, n_videos, n_authors = len(user_follow), len(video_author), len(author_charm)
    by_follow_range = rng.normal(0, 1, len(FOLLOW_USER_NUM_RANGE))  # observed range
    user_sociability = rng.normal(0, 0.5, n_users)                  # hidden, per user
    author_community = rng.integers(0, N_COMMUNITIES, n_authors)
    kinship = rng.normal(0, 1, (N_COHORTS, N_COMMUNITIES))
    author = video_author[v]
    own = {"is_follow": rng.normal(0, 0.5, n_authors)[author],   # followability
           "is_comment": rng.normal(0, 0.5, n_videos)[v],       # talkability
           "is_forward": rng.normal(0, 0.5, n_videos)[v]}       # shareability
    affinity = _standardise(by_follow_range[user_follow[u]] + user_sociability[u]
                            + kinship[cohort, author_community[author]] + author_charm[author])
    angle = np.pi / 2 * conflict
    social = np.sqrt(2) * _standardise(np.cos(angle) * click + np.sin(angle) * affinity)
    return {task: social + own[task] for task in SOCIAL_TASKS}


def simulate_kuairand(
    n_users: int = 1000,
    n_videos: int = 2000,
    n_authors: int = 400,
    n_rows: int = 300_000,
    conflict=0.5,
    story: str | None = None,
    signal: float = 1.0,
    seed: int = 0,
) -> Dataset:
    """Draw a KuaiRand-1K-shaped log; see the module docstring for the story.

    Same arguments, same data, to the bit. ``conflict`` accepts 0..1 or a named
    level (which implies its story); ``story`` is ``"drivers"`` (the default for
    a number), ``"clickbait"``, ``"segments"`` or ``"many_tasks"`` (six labels:
    :func:`tasks_of` says which).
    """
    story, conflict = resolve_conflict(conflict, story)
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
    curiosity = rng.normal(0, 1, (N_COHORTS, N_TAGS))
    enjoyment = rng.normal(0, 1, (N_COHORTS, N_TAGS))
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

    cohort, tag = user_cohort[u], video_tag[v]
    drivers = {
        "interest": _standardise(curiosity[cohort, tag] + user_lean[u]),
        "hook": _standardise(hook_upload[video_upload[v]] + hook_music[video_music[v]]
                             + hook_type[video_type[v]] + video_catchiness[v]),
        "enjoyment": _standardise(enjoyment[cohort, tag] + video_quality[v]),
        "fit": _standardise(patience[user_active[u], video_length[v]]),
    }
    restless = np.isin(user_active[u], [USER_ACTIVE_DEGREE.index(d) for d in RESTLESS_DEGREES])
    staying = np.sqrt(2) * _staying(story, conflict, drivers, restless)
    scores = {
        "is_click": signal * (drivers["interest"] + drivers["hook"]),
        "long_view": signal * staying,
        "is_like": signal * (staying + author_charm[video_author[v]]),
    }
    if story == "many_tasks":
        click = (drivers["interest"] + drivers["hook"]) / np.sqrt(2)
        social = _social(seed, conflict, click, u, v, cohort, user_follow, video_author,
                         author_charm)
        scores.update({task: signal * score for task, score in social.items()})
    true_probs, labels = {}, {}
    for task in tasks_of(story):  # the three first, as every story draws them, then any more
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
        "onehot_feat1": cohort + 1,
        "video_id": v + 1,
        "author_id": video_author[v] + 1,
        "video_type": video_type[v] + 1,
        "upload_type": video_upload[v] + 1,
        "music_type": video_music[v] + 1,
        "tag": tag + 1,
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
        description=dict(story=story, conflict=conflict, signal=signal, seed=seed,
                         n_users=n_users, n_videos=n_videos, n_authors=n_authors,
                         n_rows=n_rows))


def restless_rows(dataset: Dataset) -> np.ndarray:
    """Boolean mask of the impressions shown to restless viewers (the segments story's
    second segment), read from the observed column ``user_active_degree``."""
    codes = [USER_ACTIVE_DEGREE.index(d) + 1 for d in RESTLESS_DEGREES]
    return np.isin(dataset.features["user_active_degree"], codes)


def true_logit_correlation(dataset: Dataset, rows=None) -> pd.DataFrame:
    """Pearson correlation between the tasks' true logits, task x task.

    The true logit ``log(p / (1 - p))`` is what the label was drawn from, so this
    is how related the tasks are before label noise dilutes it. ``rows`` (a
    boolean mask or index array) restricts it to some impressions, e.g.
    ``restless_rows(dataset)``."""
    if dataset.true_probs is None:
        raise ValueError(f"dataset {dataset.name!r} has no true probabilities (real logs "
                         "do not); use a simulated log from simulate_kuairand.")
    selected = slice(None) if rows is None else rows
    logits = {}
    for task, p in dataset.true_probs.items():
        p = np.clip(np.asarray(p, dtype=np.float64)[selected], 1e-12, 1 - 1e-12)
        logits[task] = np.log(p / (1 - p))
    if len(next(iter(logits.values()))) < 2:
        raise ValueError("need at least two rows to compute a correlation; "
                         "the rows selected hold fewer.")
    return pd.DataFrame(logits).corr()
