"""TAXII 2.1 transport for bundles, with ``taxii2-client``.

``push`` adds a bundle's objects to a collection; ``pull`` fetches a collection's objects (all
pages, optionally only those added after a time) and returns them as one bundle for
``share import``. Credentials: HTTP basic (``--user``/``--password`` or
``$DISTILLGUARD_TAXII_USER``/``$DISTILLGUARD_TAXII_PASSWORD``).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from distillguard.errors import DistillguardError, InputError

PAGE = 100
# Pushed only on request: medallion (3.0, memory backend) mistakes an extension-definition's own
# ``version`` property ("1.0.0") for its manifest timestamp and then fails every GET of the
# collection. Importers do not need it: the definition is fixed and documented (docs/sharing.md).
SKIPPED_BY_DEFAULT = ("extension-definition",)


class TaxiiError(DistillguardError):
    """The TAXII server refused or could not be reached."""


def _collection(url: str, user: str | None, password: str | None) -> Any:
    from taxii2client.v21 import Collection

    try:
        return Collection(url, user=user, password=password)
    except Exception as exc:  # taxii2client raises requests/own errors alike
        raise TaxiiError(f"cannot open collection: {exc}", source=url) from exc


def push(
    bundle: dict[str, Any],
    url: str,
    *,
    user: str | None,
    password: str | None,
    skip_types: tuple[str, ...] = SKIPPED_BY_DEFAULT,
) -> Any:
    """Add the objects of ``bundle`` (but those of ``skip_types``) to the collection at ``url``;
    the TAXII status back."""
    if bundle.get("type") != "bundle" or not isinstance(bundle.get("objects"), list):
        raise InputError("not a STIX bundle")
    bundle = {
        **bundle,
        "objects": [o for o in bundle["objects"] if o.get("type") not in skip_types],
    }
    col = _collection(url, user, password)
    try:
        status = col.add_objects(json.dumps(bundle), wait_for_completion=True, timeout=30)
    except Exception as exc:
        raise TaxiiError(f"push failed: {exc}", source=url) from exc
    if getattr(status, "failure_count", 0):
        raise TaxiiError(f"{status.failure_count} objects were refused", source=url)
    return status


def pull(
    url: str, *, user: str | None, password: str | None, added_after: str | None = None
) -> dict[str, Any]:
    """Every object of the collection (all pages) as one bundle."""
    from taxii2client.v21 import as_pages

    col = _collection(url, user, password)
    filters: dict[str, Any] = {}
    if added_after:
        filters["added_after"] = added_after
    objects: dict[str, dict[str, Any]] = {}
    try:
        for envelope in as_pages(col.get_objects, per_request=PAGE, **filters):
            for obj in envelope.get("objects", []):
                # Several versions of one object: keep the newest.
                old = objects.get(obj["id"])
                if old is None or str(obj.get("modified", "")) >= str(old.get("modified", "")):
                    objects[obj["id"]] = obj
    except Exception as exc:
        raise TaxiiError(f"pull failed: {exc}", source=url) from exc
    return {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": list(objects.values())}


__all__ = ["TaxiiError", "pull", "push"]
