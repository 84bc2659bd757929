"""The build id in the directory's ETags: named by the deployment, or worked out from the
package version and the contents of the templates and the code."""

from portal.build import build_of


def a_checkout(root):
    (root / "templates" / "directory").mkdir(parents=True)
    (root / "portal").mkdir()
    (root / "templates" / "directory" / "_results.html").write_text("<ol></ol>")
    (root / "portal" / "rules.py").write_text("PAGE_SIZE = 20\n")
    return root


def test_a_named_build_is_taken_as_it_is(tmp_path):
    assert build_of(a_checkout(tmp_path), {"PORTAL_BUILD": " 2026-12-02.3 "}) == "2026-12-02.3"


def test_a_changed_template_or_module_changes_the_build(tmp_path):
    root = a_checkout(tmp_path)
    first = build_of(root, {})
    assert build_of(root, {}) == first  # the same sources, the same build
    (root / "templates" / "directory" / "_results.html").write_text("<ol class=x></ol>")
    second = build_of(root, {})
    (root / "portal" / "rules.py").write_text("PAGE_SIZE = 25\n")
    third = build_of(root, {})
    assert len({first, second, third}) == 3


def test_touching_a_file_without_changing_it_keeps_the_build(tmp_path):
    import os

    root = a_checkout(tmp_path)
    first = build_of(root, {})
    os.utime(root / "portal" / "rules.py", (0, 0))
    assert build_of(root, {}) == first
