"""Nose recognition: quality gate, templates (embeddings), gallery search and the match decision."""

from core.recognition.base import Candidate, Decision, Engine, Quality

__all__ = ["Candidate", "Decision", "Engine", "Quality"]
