"""Tools → Models → Download while offline (issue 38): a plain sentence that says the computer is
offline and how to import the weights instead, not 'ModelUnavailable: … (LocalEntryNotFoundError: …)'."""

from __future__ import annotations

import pytest


@pytest.fixture
def offline(monkeypatch, tmp_path):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # as HF_HUB_OFFLINE=1 or no network
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))


def test_download_while_offline_says_so_plainly(offline):
    from core.errors import failure_text
    from core.models.download import download
    from core.models.registry import ModelUnavailable

    with pytest.raises(ModelUnavailable) as caught:
        download("clip-vit-b32")
    text = failure_text(caught.value)
    assert "this computer is offline (no internet, or the Hugging Face hub cannot be reached)" in text
    assert "Import from file" in text and "laion/CLIP-ViT-B-32" in text  # how to get the weights instead
    assert "Error" not in text and "ModelUnavailable" not in text  # no class names


def test_models_dialog_download_offline_shows_the_sentence(window, qtbot, offline):
    dialog = window.open_models()
    qtbot.addWidget(dialog)
    row = next(r for r in range(dialog.table.rowCount())
               if dialog.table.item(r, 0).text() == "CLIP ViT-B/32 (LAION-2B)")
    dialog.table.selectRow(row)
    with qtbot.waitSignal(window.jobs.job_finished, timeout=60_000):
        dialog.download_selected()
    assert dialog.last_error.startswith("Model 'CLIP ViT-B/32 (LAION-2B)' (preset clip-vit-b32) is not available: "
                                        "this computer is offline")
    assert "LocalEntryNotFoundError" not in dialog.last_error and "ModelUnavailable" not in dialog.last_error
