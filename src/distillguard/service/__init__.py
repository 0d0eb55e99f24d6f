"""Service: distillguard beside the gateway (``distillguard serve``).

Ingests exchanges over HTTP into a workspace, keeps per-account live state, re-runs the batch
detector over a sliding window, and answers per-account decisions from an in-memory snapshot;
analysts act on campaigns through an audited API. See docs/service.md.
"""

from distillguard.service.app import Guard, RouteAccess, create_app, require, route_access
from distillguard.service.auth import ApiKeys, Principal, Role
from distillguard.service.core import Service
from distillguard.service.policy import Decision, Policy, Verdict, load_policy
from distillguard.service.settings import ServiceSettings

__all__ = [
    "ApiKeys",
    "Decision",
    "Guard",
    "Policy",
    "Principal",
    "Role",
    "RouteAccess",
    "Service",
    "ServiceSettings",
    "Verdict",
    "create_app",
    "load_policy",
    "require",
    "route_access",
]
