"""Clinical reasoning: red-flag triage, symptom-imaging concordance, phenotype and care pathway.

``reason(intake, imaging) -> ReasoningResult`` is the one entry point; the rules it applies live
in ``spinepath/knowledge/*.yaml`` with their sources.
"""

from spinepath.reasoning.convert import findings_from_pipeline
from spinepath.reasoning.engine import reason, reason_case
from spinepath.reasoning.result import ReasoningResult

__all__ = ["ReasoningResult", "findings_from_pipeline", "reason", "reason_case"]
