"""Campaigns: cluster the cross-account evidence graph, score each cluster explainably, and decide
(``campaigns.decide``: campaigns, indicators safe to block, recommended actions, review queue)."""

from distillguard.campaigns.model import AccountVerdict, Campaign, Detections, Finding, ReviewItem

__all__ = ["AccountVerdict", "Campaign", "Detections", "Finding", "ReviewItem"]
