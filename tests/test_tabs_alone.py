"""Every tab is a widget of its own: each is built here alone, offscreen, from what it needs (its
workspace's shared state, the job queue, the models), with no page and no window, and its main
action is driven to a result a user would see."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.conftest import finish_job


@pytest.fixture
def jobs(runner):
    from app.jobs import JobQueue

    queue = JobQueue(runner)
    yield queue
    queue.shutdown()


@pytest.fixture
def models():
    from core.models.manager import ModelManager

    return ModelManager("cpu", tiny=True)


# -- Logos ------------------------------------------------------------------------------------
@pytest.fixture
def logo_session(tmp_path):
    """An index over real logo files (and a pixel copy of one), its vectors made by hand: the
    GitHub logo and its copy point the same way, every other logo elsewhere."""
    from app.logos.session import LogoSession
    from core.logos.images import load_logo
    from core.logos.index import LogoIndex
    from tests.test_logos_core import copy_brand_logos

    folder = copy_brand_logos(tmp_path / "logos")
    load_logo(folder / "github.svg", 200).save(folder / "github_copy.png")
    files = sorted(str(p) for p in folder.iterdir())
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(files), 16)).astype(np.float32)
    vectors[files.index(str(folder / "github_copy.png"))] = vectors[files.index(str(folder / "github.svg"))] + 0.01
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    session = LogoSession(tmp_path / "index")
    session.set_index(LogoIndex(files, vectors, {"folder": str(folder), "model": {"preset": "effnet-lite0"}}))
    return session, folder


@pytest.fixture
def logo_loader(qtbot):
    from app.logos.well import THUMB
    from app.thumbs import ThumbnailLoader
    from core.logos.images import load_logo

    loader = ThumbnailLoader(THUMB, loader=load_logo, kind="logo")
    yield loader
    loader.stop()


def test_logos_lookalikes_tab_alone_answers_a_query_from_the_index(qtbot, jobs, models, logo_session, logo_loader):
    from app.logos.lookalikes import LookalikesTab

    session, folder = logo_session
    tab = LookalikesTab(session, jobs, models, logo_loader)
    qtbot.addWidget(tab)
    tab.show()
    assert tab.results.empty_hint.current().startswith("Drop, paste (Ctrl+V) or pick a logo")
    notes = []
    tab.message.connect(notes.append)
    tab.threshold.setValue(-1.0)  # random vectors: every score counts
    assert tab.set_query(str(folder / "github.svg")) is None  # in the index: no job
    assert tab.hits[0].file.endswith("github_copy.png") and tab.results.count() == min(12, len(session.index) - 1)
    assert "github_copy.png" in tab.compare_text.text() and notes[-1].startswith(f"{tab.results.count()} look-alikes")
    tab.k.setValue(3)
    assert tab.results.count() == 3


def test_logos_duplicates_tab_alone_finds_the_copy_and_saves_the_keeper(qtbot, jobs, logo_session, logo_loader):
    import json

    from app.logos.duplicates import DuplicatesTab
    from core.cache import EmbeddingCache

    session, _ = logo_session
    cache = EmbeddingCache()
    tab = DuplicatesTab(session, jobs, cache, logo_loader)
    qtbot.addWidget(tab)
    heard = []
    session.groups_changed.connect(heard.append)
    assert tab.dup_tree.empty_hint.current().startswith("Find duplicates looks for")  # says what to do
    finish_job(qtbot, tab.find_duplicates())
    assert tab.dup_tree.empty_hint.current() == ""  # groups shown: no hint
    cache.close()
    assert heard and any(any(f.endswith("github_copy.png") for f in g.files) for g in session.groups)
    top = tab.dup_tree.topLevelItem(0)
    other = next(top.child(i) for i in range(top.childCount())
                 if top.child(i).checkState(2) != Qt.CheckState.Checked)
    other.setCheckState(2, Qt.CheckState.Checked)
    saved = json.loads((session.index_dir / "duplicates.json").read_text(encoding="utf-8"))
    assert saved["groups"][0]["keep"] == other.data(0, Qt.ItemDataRole.UserRole + 1)


def test_logos_map_tab_alone_draws_the_index_and_the_query(qtbot, logo_session):
    from app.logos.map import MapTab

    session, folder = logo_session
    tab = MapTab(session)
    qtbot.addWidget(tab)
    tab.show()  # built when first shown
    assert len(tab.scatter.data) == len(session.index) and len(tab.query_marker.data) == 0
    session.query_path = str(folder / "github.svg")
    session.set_query_vectors(session.index.vector_of(session.query_path), None)
    assert len(tab.query_marker.data) == 1


@pytest.mark.timeout(300)
def test_logos_train_tab_alone_trains_an_epoch_with_a_live_curve(qtbot, jobs, models, logo_session):
    from app.logos.training import TrainTab

    session, _ = logo_session
    tab = TrainTab(session, jobs, models)
    qtbot.addWidget(tab)
    tab.show()
    trained = []
    tab.trained.connect(trained.append)
    tab.backbone.setCurrentIndex(tab.backbone.findData("effnet-lite0"))
    tab.epochs.setValue(1)
    tab.batch.setValue(8)
    tab.image_size.setValue(64)
    result = finish_job(qtbot, tab.start_training(), timeout=240_000)
    assert result["finished"] and len(result["history"]) == 1
    qtbot.waitUntil(lambda: bool(trained))
    assert len(tab.train_curve.getData()[0]) == 1 and tab.runs.count() == 1 and tab.train_button.isEnabled()


# -- Fusion -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def gas_tiny(tmp_path_factory):
    """80 rows of the shipped gas readings with their images, and their cached image features."""
    from core.cache import EmbeddingCache
    from core.fusion.data import load_dataset
    from core.fusion.features import image_features
    from core.fusion.gas_demo import build_gas_demo, default_gas_csv
    from core.models.loaders import load

    out = tmp_path_factory.mktemp("gas")
    path = build_gas_demo(default_gas_csv(), out, limit=80)
    data = load_dataset(path)
    with EmbeddingCache(out / "emb.sqlite") as cache:
        feats = image_features(data, load("effnet-lite0"), cache)
    return str(path), data, feats


@pytest.fixture
def fusion_session(qtbot, gas_tiny):
    from app.fusion.session import FusionSession

    session = FusionSession()
    session.set_dataset(*gas_tiny)
    return session


def _fusion_config(**kw):
    from core.fusion.train import TrainConfig

    return TrainConfig(**{"embedding_dim": 16, "num_epochs": 3, "batch_size": 16, "lr": 3e-3, "seed": 1, **kw})


def test_fusion_training_plots_alone_draw_each_epoch(qtbot, fusion_session):
    from app.fusion.tabs import TrainingPlots
    from core.fusion.train import train

    plots = TrainingPlots(fusion_session)
    qtbot.addWidget(plots)
    plots.show()
    train(_fusion_config(), fusion_session.data, fusion_session.features, on_epoch=fusion_session.add_epoch)
    def drawn(curve) -> int:
        x = curve.getData()[0]
        return 0 if x is None else len(x)

    qtbot.waitUntil(lambda: drawn(plots.curves["val_acc"]) == 3 and drawn(plots.sim_curves[("v", 0)]) == 3)
    fusion_session.set_history([])  # a new training starts empty
    assert drawn(plots.curves["train_loss"]) == 0 and drawn(plots.sim_curves[("v", 0)]) == 0
    qtbot.waitUntil(lambda: not plots.loss_plot.getAxis("left").style["showValues"])  # no made-up ticks


def test_fusion_evaluation_and_inspector_alone_rerun_inference_with_the_sliders(qtbot, fusion_session):
    from app.fusion.evaluation import EvaluationTab, InspectorTab
    from core.fusion.train import train

    evaluation = EvaluationTab(fusion_session, lambda: 0.1)
    inspector = InspectorTab(fusion_session, evaluation)
    for w in (evaluation, inspector):
        qtbot.addWidget(w)
    fusion_session.set_result(train(_fusion_config(), fusion_session.data, fusion_session.features))
    before = evaluation.current_eval["confusion"]
    assert evaluation.confusion.rowCount() == 5 and evaluation.confusion.item(4, 4).text().endswith("right")
    evaluation.v_slider.setValue(0)
    evaluation.s_slider.setValue(0)
    assert evaluation.current_eval["confusion"] != before and inspector.current_eval is evaluation.current_eval
    evaluation.reset_sliders()
    assert evaluation.current_eval["confusion"] == before
    inspector.sample.setValue(2)
    assert "predicted" in inspector.sample_info.text()
    assert inspector.sample.maximum() == len(fusion_session.val.index) - 1


@pytest.mark.timeout(300)
def test_fusion_sweep_tab_alone_fills_its_table_and_exports(qtbot, jobs, fusion_session, tmp_path):
    import csv

    from app.fusion.sweep import SweepTab

    tab = SweepTab(fusion_session, jobs)
    qtbot.addWidget(tab)
    done = []
    tab.finished.connect(done.append)
    finish_job(qtbot, tab.start_sweep(_fusion_config(), {"temperature": (0.1, 0.5), "embedding_dim": (16,),
                                                          "lr": (1e-3,)}), timeout=240_000)
    assert tab.sweep_table.rowCount() == 2 and done and done[0].startswith("Sweep done")
    tab.export_sweep(str(tmp_path / "sweep.csv"))
    with open(tmp_path / "sweep.csv", newline="", encoding="utf-8") as fh:
        assert len(list(csv.reader(fh))) == 3


# -- Trends -----------------------------------------------------------------------------------
@pytest.mark.timeout(300)
def test_trends_overview_alone_draws_the_posts_the_epochs_and_the_comparison(qtbot, tmp_path, data_dir):
    from app.trends.overview import OverviewTab
    from app.trends.session import TrendsSession
    from core.cache import EmbeddingCache
    from core.models.manager import ModelManager
    from core.trends.model import TrendConfig, train_trends
    from core.trends.service import latest_forecast, prepare, report
    from core.trends.synthetic import make_dataset

    path = make_dataset(tmp_path / "demo", days=480, categories=3, seed=1)
    with EmbeddingCache() as cache:
        prep = prepare(path, ModelManager("cpu"), cache)
    session = TrendsSession()
    tab = OverviewTab(session)
    qtbot.addWidget(tab)
    tab.show()
    assert tab.table.empty_hint.current().startswith("Train") and tab.latest.empty_hint.current()  # not bare headers
    session.set_dataset(str(path), prep)
    qtbot.waitUntil(lambda: len(tab._post_curves) == 3 and "actual" in tab._pred_items)
    assert tab.category.count() == 3 and len(tab._post_curves[prep.posts.categories[0]].getData()[1]) == prep.posts.n_days
    first = tab._pred_items["actual"].getData()[1].copy()
    tab.category.setCurrentIndex(1)  # another category: its own actual shares
    assert not np.array_equal(tab._pred_items["actual"].getData()[1], first)
    cfg = TrendConfig(hidden=16, heads=2, epochs=2)
    model = train_trends(prep.tokens, prep.labels, prep.split, cfg, on_epoch=session.add_epoch)
    assert len(tab.curves["train"].getData()[0]) == 2  # each epoch drawn as it came
    raw = [h.train_loss for h in session.history]
    assert tab.curves["train"].getData()[1][1] != pytest.approx(raw[1])  # smoothed (TensorBoard's 0.6)
    tab.smoothing.setValue(0)  # no smoothing: the line is the raw losses
    np.testing.assert_allclose(tab.curves["train"].getData()[1], raw)
    session.set_result({"model": model, "numeric": None, "rows": report(prep, model),
                        "latest": latest_forecast(prep, model)})
    assert tab.table.rowCount() == 3 and tab.verdict.text().startswith("On the test split")
    assert tab.latest.rowCount() == 3 and tab.latest_title.text().startswith("Forecast for ")
    qtbot.waitUntil(lambda: "model" in tab._pred_items and len(tab._pred_items["model"].getData()[0]) > 0)
    session.set_history([])  # a new training starts with no curve
    assert tab.curves["train"].getData()[0] is None  # pyqtgraph keeps no points of an empty curve


# -- Lost & Found -----------------------------------------------------------------------------
@pytest.fixture
def lostfound_session(qtbot, tmp_path, data_dir):
    """The demo posts (18, with photos) in a store of their own, and the offline matcher over them."""
    from app.lostfound.session import LostFoundSession
    from core.cache import EmbeddingCache
    from core.lostfound.demo import demo_csv
    from core.lostfound.service import LostFound, make_embedder
    from core.lostfound.store import PostStore
    from core.models.manager import ModelManager

    store = PostStore(tmp_path / "posts.sqlite")
    store.import_file(str(demo_csv()))
    session = LostFoundSession(store)
    session.reload()
    cache = EmbeddingCache()
    service = LostFound(PostStore(store.path), make_embedder(ModelManager("cpu"), cache))
    service.refresh()
    yield session, service
    service.store.close()
    store.close()
    cache.close()


@pytest.fixture
def post_loader(qtbot):
    from app.lostfound.models import THUMB
    from app.thumbs import ThumbnailLoader

    loader = ThumbnailLoader(THUMB)
    yield loader
    loader.stop()


@pytest.mark.timeout(300)
def test_lostfound_posts_and_matches_panels_alone_rank_the_selected_posts_matches(qtbot, lostfound_session,
                                                                                 post_loader):
    from app.lostfound.matches import MatchesPanel
    from app.lostfound.posts import PostsPanel

    session, service = lostfound_session
    posts, matches = PostsPanel(session, post_loader), MatchesPanel(session, post_loader)
    for w in (posts, matches):
        qtbot.addWidget(w)
    posts.selected.connect(matches.show_post)
    assert posts.posts_model.rowCount() == 18
    wallet = next(p for p in session.posts if p.image and "반지갑" in p.description)
    assert posts.select_post(wallet.id) and posts.detail.fields["description"].text() == wallet.description
    assert matches.match_title.text().endswith("— embedding…")  # no matcher yet: nothing ranked
    session.set_service(service)  # the matcher is ready: the matches are ranked
    assert "wallet" in matches.matches.item(0, 3).text() and matches.current_matches
    before = [m.score for m in matches.current_matches]
    matches.slider.setValue(90)
    assert [m.score for m in matches.current_matches] != before and matches.settings().text_weight == 0.9
    posts.kind_filter.setCurrentIndex(posts.kind_filter.findData("found"))  # the lost wallet is filtered out
    assert all(p.kind == "found" for p in posts.posts_model.posts)


def test_lostfound_edits_alone_delete_and_undo_restore_the_store(qtbot, lostfound_session):
    from PySide6.QtWidgets import QWidget

    from app.lostfound.edits import PostEdits
    from app.undo import new_stack

    session, _ = lostfound_session
    host = QWidget()
    qtbot.addWidget(host)
    edits = PostEdits(session, new_stack(host), host)
    notes, reloads = [], []
    edits.message.connect(notes.append)
    edits.reload.connect(lambda: reloads.append(session.reload()))
    gone = []
    edits.changed.connect(lambda ids: (gone.append(ids), session.refresh(ids)))
    before = session.store.snapshot()
    first = session.posts[0].id
    edits.delete(session.posts[0])
    assert gone == [[first]] and first not in [p.id for p in session.posts]  # only that post read again
    assert session.store.count() == 17 and len(session.posts) == 17 and "Undo" in notes[-1]
    edits.undo_delete()
    assert session.store.snapshot() == before and len(session.posts) == 18 and notes[-1].startswith("Undone")
    assert gone == [[first], [first]] and reloads == []  # the undo read that post again, not every post
    assert [p.id for p in session.posts] == [p.id for p in session.store.list()]  # in its place again
    edits.undo_stack.redo()
    assert gone[-1] == [first] and first not in [p.id for p in session.posts] and reloads == []


def test_lostfound_posts_panel_follows_an_edit_an_add_and_a_delete_without_reading_every_post(
        qtbot, lostfound_session, post_loader, monkeypatch):
    """An edit, a new post and a delete read only those posts again (``LostFoundSession.refresh``):
    their rows change in place, the detail follows, a filter still applies, and the rows equal what
    reading every post again gives. Reading every post held the window 0.5 s at 100,000 posts."""
    from app.lostfound.posts import PostsPanel
    from core.lostfound.store import Post, PostStore

    session, _ = lostfound_session
    panel = PostsPanel(session, post_loader)
    qtbot.addWidget(panel)
    model = panel.posts_model
    resets, inserted, removed = [], [], []
    model.modelReset.connect(lambda: resets.append(1))
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    model.rowsRemoved.connect(lambda _p, first, last: removed.append((first, last)))
    real_list, read_all = PostStore.list, []
    monkeypatch.setattr(PostStore, "list", lambda self, *a, **k: (read_all.append(1), real_list(self, *a, **k))[1])
    store = session.store

    def rows():
        return [(p.id, p.description, p.status) for p in model.posts]

    def everything(needle=""):
        return [(p.id, p.description, p.status) for p in real_list(store)
                if needle in f"{p.description} {p.category} {p.place} {p.storage_location}".lower()]

    target = session.posts[3]
    assert panel.select_post(target.id)
    store.update(target.id, description="파란 우산 blue umbrella, left on the bus")
    session.refresh([target.id])
    assert rows() == everything() and not resets  # that row, in place
    assert panel.detail.fields["description"].text().startswith("파란 우산")  # the selected post's detail follows
    added = store.add(Post(kind="found", description="a red scarf 빨간 목도리", category="clothing"))
    session.refresh([added.id])
    assert rows() == everything() and inserted == [(18, 18)] and not resets
    store.delete(target.id)
    session.refresh([target.id])
    assert rows() == everything() and removed == [(3, 3)] and not resets
    assert panel.selected_post() is None  # the deleted post's row gone, and no other row chosen for the user
    assert panel.detail.fields["description"].text() == ""
    assert not read_all  # none of it read every post
    panel.search.setText("scarf")  # a filter: an edit that leaves it drops the row, one that matches shows it
    assert [r[0] for r in rows()] == [added.id]
    store.update(added.id, description="a red hat")
    session.refresh([added.id])
    assert rows() == everything("scarf") == []
    store.update(added.id, description="a red scarf again")
    session.refresh([added.id])
    assert rows() == everything("scarf") and len(rows()) == 1
