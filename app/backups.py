"""File → Back up data… and File → Restore from a backup… (the window's side of ``core.backup``
and ``core.restore``)."""

from __future__ import annotations

import logging
import sys

from PySide6.QtWidgets import QMessageBox

from app.filedialogs import pick_folder
from app.widgets import ask
from core.jobs import Lane

log = logging.getLogger(__name__)


class BackupActions:
    restart_requested = False  # app.main starts the app again once this one has closed

    def back_up(self, dest: str | None = None):
        """File → Back up data…: ``core.backup.backup`` into a folder the user picks, as a job
        (progress in the status bar); the status bar says where it went. Returns the job."""
        from core.backup import backup

        if dest is None:
            dest = pick_folder(self, "backup", "Back up Simscope's data into…")
            if not dest:
                return None

        def done(report) -> None:
            self.statusBar().showMessage(f"Backed up to {report.folder.name}", 30000)
            log.info("%s", report.summary())
            if report.notes:
                QMessageBox.warning(self, "Backup", report.summary())

        return self.jobs.submit(lambda progress, cancelled: backup(dest, progress=progress, cancelled=cancelled),
                                "Back up data", Lane.IO, on_done=done)

    def restore_from_backup(self, folder: str | None = None):
        """File → Restore from a backup…: the backup is checked (a job: its stores are read page by
        page), the user confirms, and the app closes and starts again, restoring before it opens
        any store (``core.restore``); what it replaces is moved aside, nothing is deleted."""
        from core.paths import data_dir
        from core.restore import read_backup

        if folder is None:
            folder = pick_folder(self, "backup", "Restore Simscope's data from the backup folder…")
            if not folder:
                return None

        def checked(info) -> None:
            if not ask(self, "Restore from a backup",
                       f"Restore the backup of {info.get('taken', '?')} ({info.get('files', '?')} files)?",
                       f"Simscope closes (running jobs stop; what they finished is kept), puts the backup in "
                       f"place and starts again. Your data as it is now is moved to {data_dir()}/replaced-<date>/ "
                       f"(nothing is deleted: restoring that folder undoes this); the embedding cache is kept.",
                       "Restore and restart", "Cancel", "restore_box"):
                return
            from core.restore import request_restore

            try:
                request_restore(folder, data_dir(), info)  # checked by the job just now: not again here
            except (OSError, ValueError) as exc:
                QMessageBox.warning(self, "Restore from a backup", str(exc))
                return
            log.info("restore of %s asked for: restarting", folder)
            self.restart_requested = True
            self.force_close = True  # confirmed: running jobs stop, what they finished is kept
            self.close()

        def failed(job) -> None:
            self.statusBar().showMessage("Not restored", 10000)
            QMessageBox.warning(self, "Restore from a backup", str(job.error))

        return self.jobs.submit(lambda progress, cancelled: read_backup(folder), "Check the backup", Lane.IO,
                                on_done=checked, on_error=failed)


def restart_command() -> list[str]:
    """How this app was started, to start it again: the bundle's executable, or this Python with
    ``-m app`` and the same arguments."""
    if getattr(sys, "frozen", False):
        return [sys.executable, *sys.argv[1:]]
    return [sys.executable, "-m", "app", *sys.argv[1:]]
