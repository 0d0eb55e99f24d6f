"""Campaigns: cluster the cross-account evidence graph and score each cluster explainably."""

from distillguard.campaigns.model import AccountVerdict, Campaign, Detections, Finding

__all__ = ["AccountVerdict", "Campaign", "Detections", "Finding"]
