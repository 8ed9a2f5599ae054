"""An app identity for tests: the settings the kit requires that say who the app is.

The kit has no default app key, name or vendor; an add-on's test suite either sets its own in its
settings or uses these (the ``ack_settings`` fixture does, unless the suite overrides
``ack_app_identity``).
"""

from __future__ import annotations

from collections.abc import Mapping

TEST_APP_IDENTITY: Mapping[str, str] = {
    "ack.app_key": "add-on-under-test",
    "ack.app_name": "Add-on under test",
    "ack.vendor_name": "Test vendor",
    "ack.vendor_url": "https://vendor.example.com",
}
"""``ack.app_key``, ``ack.app_name``, ``ack.vendor_name`` and ``ack.vendor_url`` for tests."""
