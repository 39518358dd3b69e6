"""Issue 38's page polish: stale texts gone when what they describe is gone, every column and
legend entry saying what it is, photos opening in the viewer from every page that shows them."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from core.jobs import JobRunner, JobState, Lane


@pytest.fixture
def queue(qtbot):
    from app.jobs import JobQueue

    q = JobQueue(JobRunner(io_workers=1, min_interval=0.0))
    yield q
    q.shutdown()


def test_jobs_view_labels_every_column_and_a_finished_job_drops_its_last_step(qtbot, queue):
    from app.jobs_view import COL_DETAILS, JobsView

    view = JobsView(queue)
    qtbot.addWidget(view)
    model = view.model
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert all(h and h.strip() for h in headers), headers

    def work(progress, cancelled):
        progress(0.0, "Hashing 0 of 15")  # reported as the step begins, the last message it sends
        return 15

    job = queue.submit(work, "Albums: find duplicates", Lane.IO)
    qtbot.waitUntil(lambda: job.delivered, timeout=10_000)
    assert job.state is JobState.FINISHED and job.message == "Hashing 0 of 15"
    row = [model.job(r) for r in range(model.rowCount())].index(job)
    details = model.data(model.index(row, COL_DETAILS))
    assert "Hashing" not in details and details.startswith("Done in ")
    assert "last step: Hashing 0 of 15" in model.data(model.index(row, 0), Qt.ItemDataRole.ToolTipRole)
