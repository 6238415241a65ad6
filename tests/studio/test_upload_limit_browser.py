"""A file over the studio's upload limit, picked in the page: refused at once with one line naming
it, in the server's words, and never sent (the server would refuse it unread, also naming it)."""

from __future__ import annotations

import pytest
from studio_media import chromium

LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    from facemimic.studio import make_studio

    s = make_studio(workspace=tmp_path_factory.mktemp("limit-ws"), port=0, max_upload_bytes=LIMIT).start_in_thread()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


def test_an_upload_over_the_limit_is_named_and_never_sent(browser, studio, samples):
    page = browser.new_page(viewport={"width": 1400, "height": 1100}, bypass_csp=True)
    sent = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "PUT" else None)
    page.goto(studio.url)
    page.evaluate("window.studioCreate.ready")
    big = (samples / "single_face.jpg").read_bytes()
    assert len(big) > LIMIT
    # the live view's "any other file" and the create view's portrait upload
    page.set_input_files("#media-file", files=[{"name": "me big.jpg", "mimeType": "image/jpeg", "buffer": big}])
    page.wait_for_selector("#error:not([hidden])")
    assert page.text_content("#error") == "me big.jpg: upload larger than 64 KB"
    page.click("#view-create")
    page.set_input_files("#a-photo", files=[{"name": "portrait.jpg", "mimeType": "image/jpeg", "buffer": big}])
    page.wait_for_selector("#create-error:not([hidden])")
    assert page.inner_text("#create-error") == "portrait.jpg: upload larger than 64 KB"
    assert sent == []
    # sent anyway (a script, an old page): the server names it too, from the path, before reading it
    status, error = page.evaluate("""fetch('/api/create/upload/portrait.jpg', {method: 'PUT', body: new Uint8Array(70000)})
                                     .then(async (r) => [r.status, (await r.json()).error])""")
    assert status == 413 and error == "portrait.jpg: upload larger than 64 KB"
    small = b"x" * 100  # under the limit: sent as before (and refused by the reader: not an image)
    page.set_input_files("#a-photo", files=[{"name": "tiny.jpg", "mimeType": "image/jpeg", "buffer": small}])
    page.wait_for_function("window.studioCreate.errors.some((e) => e.startsWith('tiny.jpg: '))")
    assert any(u.endswith("/api/create/upload/tiny.jpg") for u in sent)
