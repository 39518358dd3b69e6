"""The window's own text: menus that show what they say, a status bar that never cuts a word."""

from __future__ import annotations

import re


def test_view_menu_shows_lost_and_found_not_a_mnemonic(window):
    texts = [a.text() for a in window.view_menu.actions()]
    page_texts = [t for t in texts if "Found" in t]
    assert page_texts, texts
    for text in page_texts:
        assert re.search(r"(?<!&)&(?!&)", text) is None, text  # a lone & would underline the next letter
        assert text.replace("&&", "&") == "Lost & Found"


def test_a_long_status_message_is_cut_at_a_word_with_the_whole_in_its_tooltip(window, qtbot):
    window.resize(1180, 760)
    window.show()
    message = ("Restored the backup of 2026-12-04 02:58:16 (12 files); your data from before is in "
               "/home/someone/.local/share/Simscope/replaced-20261204-025817 and nothing was deleted")
    window.statusBar().showMessage(message)
    window.statusBar().grab()  # paints it
    shown = window.statusBar().shown_text
    assert shown.endswith(" …") and len(shown) < len(message)
    kept = shown[:-2]
    assert message.startswith(kept) and message[len(kept)] in " ,;:"  # whole words only
    assert window.statusBar().toolTip() == message
    window.statusBar().showMessage("Short and whole")
    window.statusBar().grab()  # paints it
    assert window.statusBar().shown_text == "Short and whole"
